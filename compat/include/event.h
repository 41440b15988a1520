/* eddy's libevent-compatible API: the libevent 1.4 umbrella header, which
 * programs written for that era include on its own. */
#ifndef EDDY_COMPAT_EVENT_H
#define EDDY_COMPAT_EVENT_H

#include <event2/event_struct.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/bufferevent_compat.h>
#include <event2/tag.h>
#include <event2/tag_compat.h>
#include <event2/util.h>

#endif
