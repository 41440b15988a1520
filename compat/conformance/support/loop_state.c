/* The rest of what the regress binary takes from libevent's internals
 * (event-internal.h, iocp-internal.h) that has no counterpart in eddy. */
#include <event2/event.h>

void event_base_assert_ok_(struct event_base* base);
int event_base_start_iocp_(struct event_base* base, int n_cpus);

/* libevent walks its own heaps and queues and aborts on a broken
 * invariant. Those structures are libevent's; eddy's are checked by its own
 * tests, so there is nothing here to walk. */
void event_base_assert_ok_(struct event_base* base) {
  (void)base;
}

/* There is no IOCP outside Windows; libevent answers -1 there too and the
 * tests that need it skip themselves. */
int event_base_start_iocp_(struct event_base* base, int n_cpus) {
  (void)base;
  (void)n_cpus;
  return -1;
}
