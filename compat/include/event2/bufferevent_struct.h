/* eddy's libevent-compatible API: the public part of struct bufferevent
 * (libevent 2.1's <event2/bufferevent_struct.h>). Old programs read these
 * members directly (bev->input, bev->output), so they sit at libevent's
 * offsets; eddy keeps the rest of a bufferevent's state after them. */
#ifndef EDDY_COMPAT_EVENT2_BUFFEREVENT_STRUCT_H
#define EDDY_COMPAT_EVENT2_BUFFEREVENT_STRUCT_H

#include <sys/time.h>

#include <event2/bufferevent.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_watermark {
  size_t low;
  size_t high;
};

struct bufferevent_ops;

struct bufferevent {
  struct event_base* ev_base;
  const struct bufferevent_ops* be_ops; /* the kind: socket or pair */
  struct event ev_read;
  struct event ev_write;
  struct evbuffer* input;
  struct evbuffer* output;
  struct event_watermark wm_read;
  struct event_watermark wm_write;
  bufferevent_data_cb readcb;
  bufferevent_data_cb writecb;
  bufferevent_event_cb errorcb; /* the event callback */
  void* cbarg;
  struct timeval timeout_read;
  struct timeval timeout_write;
  short enabled; /* EV_READ | EV_WRITE */
};

#ifdef __cplusplus
}
#endif

#endif
