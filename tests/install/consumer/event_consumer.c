/* Built against an installed eddy with
 *   cc event_consumer.c $(pkg-config --cflags --libs eddy-event)
 * by check_install.sh: a libevent-style program, a timer that fires once. */
#include <event2/event.h>

#include <stdio.h>

static int fired;

static void on_timer(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)arg;
  fired = (what & EV_TIMEOUT) != 0;
}

int main(void) {
  struct event_base *base = event_base_new();
  if (base == NULL) {
    return 1;
  }
  struct event *timer = evtimer_new(base, on_timer, NULL);
  struct timeval delay = {0, 1000};
  evtimer_add(timer, &delay);
  /* 1: the loop ran out of events, as it does once the timer has fired. */
  int status = event_base_dispatch(base);
  printf("eddy-event consumer %s: method=%s\n", status == 1 && fired ? "OK" : "FAILED", event_base_get_method(base));
  event_free(timer);
  event_base_free(base);
  return status == 1 && fired ? 0 : 1;
}
