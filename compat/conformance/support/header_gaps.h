/* Forced into every test source of the "compiled" build (build.sh). Each
 * block fills one thing libevent's public headers have and eddy's lack,
 * without which libevent's internal headers, which the tests include, do
 * not compile at all. build.sh defines EDDY_GAP_* only for the gaps its
 * probes find, so a block goes quiet once compat/include has the thing
 * itself. The report lists the gaps filled: they are eddy's to close. */
#pragma once

/* Libevent's event2/util.h includes event2/visibility.h, whose
 * EVENT2_EXPORT_SYMBOL every internal header uses; this takes libevent's,
 * the include path's only one. */
#ifdef EDDY_GAP_EXPORT_SYMBOL
#include <event2/visibility.h>
#endif

/* Libevent's event2/event_struct.h declares these list heads (sys/queue.h's
 * TAILQ_HEAD and LIST_HEAD); event-internal.h embeds them in its structs. */
struct event;
#ifdef EDDY_GAP_EVENT_LIST
struct event_list {
  struct event* tqh_first;
  struct event** tqh_last;
};
#endif
#ifdef EDDY_GAP_EVENT_DLIST
struct event_dlist {
  struct event* lh_first;
};
#endif
