/* Built against Debian's libevent_core, libevent_extra and libevent_pthreads
 * (as libevent's own test/regress is), run on eddy's drop-ins: every libevent
 * symbol must come from eddy's libevent_core-2.1.so.7 (the other two are
 * shims that need it), so that a base and the thread setup share one state.
 * Prints the file each symbol resolved to, then runs a timer on a base made
 * after evthread_use_pthreads(). Exit 0 when the timer fired. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <sys/time.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>

static void print_origin(const char* name, void* symbol) {
  Dl_info info;
  if (dladdr(symbol, &info) != 0 && info.dli_fname != NULL) {
    printf("%s %s\n", name, info.dli_fname);
  } else {
    printf("%s unknown\n", name);
  }
}

static void on_timer(evutil_socket_t fd, short what, void* arg) {
  (void)fd;
  (void)what;
  *(int*)arg = 1;
}

int main(void) {
  print_origin("evthread_use_pthreads", (void*)evthread_use_pthreads);
  print_origin("event_base_new", (void*)event_base_new);
  print_origin("evutil_make_socket_nonblocking", (void*)evutil_make_socket_nonblocking);
  if (evthread_use_pthreads() != 0) {
    fprintf(stderr, "evthread_use_pthreads failed\n");
    return 1;
  }
  struct event_base* base = event_base_new();
  if (base == NULL) {
    fprintf(stderr, "event_base_new failed\n");
    return 1;
  }
  int fired = 0;
  struct timeval ten_ms = {0, 10000};
  event_base_once(base, -1, EV_TIMEOUT, on_timer, &fired, &ten_ms);
  event_base_dispatch(base);
  event_base_free(base);
  printf("timer %s\n", fired ? "fired" : "did not fire");
  return fired ? 0 : 1;
}
