/* The monotonic clock and the sleep of time-internal.h, which the util tests
 * time against each other. The caller allocates struct
 * evutil_monotonic_timer with libevent's layout (40 bytes on Linux x86-64:
 * an int and two struct timeval); the state here is smaller and lives at its
 * start. */
#include <errno.h>
#include <stddef.h>
#include <sys/time.h>
#include <time.h>

/* time-internal.h's flags. */
#define EV_MONOT_PRECISE 1
#define EV_MONOT_FALLBACK 2

struct evutil_monotonic_timer {
  int use_gettimeofday; /* EV_MONOT_FALLBACK: the wall clock, made monotonic */
  struct timeval last;  /* the latest time handed out */
};

void evutil_usleep_(const struct timeval* tv);
int evutil_configure_monotonic_time_(struct evutil_monotonic_timer* mt, int flags);
int evutil_gettime_monotonic_(struct evutil_monotonic_timer* mt, struct timeval* tv);

/* Sleeps the whole interval, through signals. */
void evutil_usleep_(const struct timeval* tv) {
  struct timespec left = {tv->tv_sec, (long)tv->tv_usec * 1000};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

/* CLOCK_MONOTONIC has microsecond resolution on Linux, precise enough for
 * EV_MONOT_PRECISE; EV_MONOT_FALLBACK asks for what libevent uses where
 * there is no monotonic clock: gettimeofday(), never allowed backwards. */
int evutil_configure_monotonic_time_(struct evutil_monotonic_timer* mt, int flags) {
  mt->use_gettimeofday = (flags & EV_MONOT_FALLBACK) != 0;
  mt->last.tv_sec = 0;
  mt->last.tv_usec = 0;
  return 0;
}

int evutil_gettime_monotonic_(struct evutil_monotonic_timer* mt, struct timeval* tv) {
  if (mt->use_gettimeofday) {
    gettimeofday(tv, NULL);
  } else {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
      return -1;
    }
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = (suseconds_t)(ts.tv_nsec / 1000);
  }
  if (timercmp(tv, &mt->last, <)) {
    *tv = mt->last;
  }
  mt->last = *tv;
  return 0;
}
