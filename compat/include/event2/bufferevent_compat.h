/* eddy's libevent-compatible API: the libevent 1.x bufferevent calls
 * (libevent 2.1's <event2/bufferevent_compat.h>). */
#ifndef EDDY_COMPAT_EVENT2_BUFFEREVENT_COMPAT_H
#define EDDY_COMPAT_EVENT2_BUFFEREVENT_COMPAT_H

#include <event2/bufferevent.h>

#ifdef __cplusplus
extern "C" {
#endif

#define evbuffercb bufferevent_data_cb
#define everrorcb bufferevent_event_cb

/* A socket bufferevent on the current base (event_init()'s), with its
 * callbacks set. */
struct bufferevent* bufferevent_new(evutil_socket_t fd, evbuffercb readcb, evbuffercb writecb, everrorcb errorcb,
                                    void* cbarg);
void bufferevent_settimeout(struct bufferevent* bufev, int timeout_read, int timeout_write);

#define EVBUFFER_READ BEV_EVENT_READING
#define EVBUFFER_WRITE BEV_EVENT_WRITING
#define EVBUFFER_EOF BEV_EVENT_EOF
#define EVBUFFER_ERROR BEV_EVENT_ERROR
#define EVBUFFER_TIMEOUT BEV_EVENT_TIMEOUT

#define EVBUFFER_INPUT(x) bufferevent_get_input(x)
#define EVBUFFER_OUTPUT(x) bufferevent_get_output(x)

#ifdef __cplusplus
}
#endif

#endif
