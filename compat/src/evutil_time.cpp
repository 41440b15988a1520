// The clock helpers of <event2/util.h>: RFC 1123 dates and a monotonic
// timer object.
#include <event2/util.h>

#include <time.h>

#include <new>

struct evutil_monotonic_timer {
  // CLOCK_MONOTONIC never goes backwards on Linux, so libevent's ratchet
  // against a clock that does is not needed; the object holds nothing.
  char unused;
};

extern "C" {

int evutil_date_rfc1123(char* date, const size_t datelen, const struct tm* tm) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm now {};
  if (tm == nullptr) {
    const time_t t = ::time(nullptr);
    ::gmtime_r(&t, &now);
    tm = &now;
  }
  return evutil_snprintf(date, datelen, "%s, %02d %s %4d %02d:%02d:%02d GMT", kDays[tm->tm_wday % 7], tm->tm_mday,
                         kMonths[tm->tm_mon % 12], 1900 + tm->tm_year, tm->tm_hour, tm->tm_min, tm->tm_sec);
}

struct evutil_monotonic_timer* evutil_monotonic_timer_new(void) {
  return new (std::nothrow) evutil_monotonic_timer{};
}

void evutil_monotonic_timer_free(struct evutil_monotonic_timer* timer) { delete timer; }

int evutil_configure_monotonic_time(struct evutil_monotonic_timer*, int) { return 0; }

int evutil_gettime_monotonic(struct evutil_monotonic_timer*, struct timeval* tp) {
  timespec ts{};
  if (::clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
    return -1;
  }
  tp->tv_sec = ts.tv_sec;
  tp->tv_usec = static_cast<suseconds_t>(ts.tv_nsec / 1000);
  return 0;
}

}  // extern "C"
