/* eddy's libevent-compatible API: bufferevent, buffered I/O on a socket or
 * between two in-process ends (libevent 2.1's <event2/bufferevent.h>). See
 * docs/compat.md. */
#ifndef EDDY_COMPAT_EVENT2_BUFFEREVENT_H
#define EDDY_COMPAT_EVENT2_BUFFEREVENT_H

#include <sys/socket.h>
#include <sys/time.h>

#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bufferevent;
struct event_base;
struct evbuffer;
struct evdns_base;
struct sockaddr;

/* What the event callback is told; READING or WRITING says which side. */
#define BEV_EVENT_READING 0x01
#define BEV_EVENT_WRITING 0x02
#define BEV_EVENT_EOF 0x10
#define BEV_EVENT_ERROR 0x20
#define BEV_EVENT_TIMEOUT 0x40
#define BEV_EVENT_CONNECTED 0x80

typedef void (*bufferevent_data_cb)(struct bufferevent* bev, void* ctx);
typedef void (*bufferevent_event_cb)(struct bufferevent* bev, short what, void* ctx);

enum bufferevent_options {
  BEV_OPT_CLOSE_ON_FREE = (1 << 0),
  BEV_OPT_THREADSAFE = (1 << 1),
  BEV_OPT_DEFER_CALLBACKS = (1 << 2),
  BEV_OPT_UNLOCK_CALLBACKS = (1 << 3)
};

struct bufferevent* bufferevent_socket_new(struct event_base* base, evutil_socket_t fd, int options);
int bufferevent_socket_connect(struct bufferevent*, const struct sockaddr*, int);
/* Connects at once to a numeric address. Resolves a name with
 * getaddrinfo(3) on a thread of its own, so that
 * the loop never waits for a name server (libevent, without an
 * evdns_base, waits in the call), then connects to the first address from
 * the loop, or reports BEV_EVENT_ERROR with the lookup's EVUTIL_EAI_* code
 * in bufferevent_socket_get_dns_error(). evdns_base must be NULL. Returns
 * 0 once the lookup started, -1 for a bad family or port. */
int bufferevent_socket_connect_hostname(struct bufferevent*, struct evdns_base*, int, const char*, int);
int bufferevent_socket_get_dns_error(struct bufferevent* bev);
int bufferevent_base_set(struct event_base* base, struct bufferevent* bufev);
struct event_base* bufferevent_get_base(struct bufferevent* bev);
int bufferevent_priority_set(struct bufferevent* bufev, int pri);
int bufferevent_get_priority(const struct bufferevent* bufev);
void bufferevent_free(struct bufferevent* bufev);
void bufferevent_setcb(struct bufferevent* bufev, bufferevent_data_cb readcb, bufferevent_data_cb writecb,
                       bufferevent_event_cb eventcb, void* cbarg);
void bufferevent_getcb(struct bufferevent* bufev, bufferevent_data_cb* readcb_ptr, bufferevent_data_cb* writecb_ptr,
                       bufferevent_event_cb* eventcb_ptr, void** cbarg_ptr);
int bufferevent_setfd(struct bufferevent* bufev, evutil_socket_t fd);
evutil_socket_t bufferevent_getfd(struct bufferevent* bufev);
struct bufferevent* bufferevent_get_underlying(struct bufferevent* bufev);
int bufferevent_write(struct bufferevent* bufev, const void* data, size_t size);
int bufferevent_write_buffer(struct bufferevent* bufev, struct evbuffer* buf);
size_t bufferevent_read(struct bufferevent* bufev, void* data, size_t size);
int bufferevent_read_buffer(struct bufferevent* bufev, struct evbuffer* buf);
struct evbuffer* bufferevent_get_input(struct bufferevent* bufev);
struct evbuffer* bufferevent_get_output(struct bufferevent* bufev);
int bufferevent_enable(struct bufferevent* bufev, short event);
int bufferevent_disable(struct bufferevent* bufev, short event);
short bufferevent_get_enabled(struct bufferevent* bufev);
int bufferevent_set_timeouts(struct bufferevent* bufev, const struct timeval* timeout_read,
                             const struct timeval* timeout_write);
void bufferevent_setwatermark(struct bufferevent* bufev, short events, size_t lowmark, size_t highmark);
int bufferevent_getwatermark(struct bufferevent* bufev, short events, size_t* lowmark, size_t* highmark);
void bufferevent_lock(struct bufferevent* bufev);
void bufferevent_unlock(struct bufferevent* bufev);
void bufferevent_incref(struct bufferevent* bufev);
int bufferevent_decref(struct bufferevent* bufev);

enum bufferevent_flush_mode { BEV_NORMAL = 0, BEV_FLUSH = 1, BEV_FINISHED = 2 };
int bufferevent_flush(struct bufferevent* bufev, short iotype, enum bufferevent_flush_mode mode);

/* Filters: a bufferevent on top of another (the underlying), whose data
 * passes through a function each way. The input filter moves what the
 * underlying read into the filter's input; the output filter moves the
 * filter's output into the underlying's output. A filter is given at most
 * dst_limit bytes' room (-1: no limit) and returns BEV_OK when it moved
 * something, BEV_NEED_MORE when src holds too little to move anything, and
 * BEV_ERROR. NULL filters pass data through. With BEV_OPT_CLOSE_ON_FREE,
 * freeing the filter frees the underlying; free_context(ctx) runs when the
 * filter goes. The underlying's callbacks belong to the filter from now on. */
enum bufferevent_filter_result { BEV_OK = 0, BEV_NEED_MORE = 1, BEV_ERROR = 2 };
typedef enum bufferevent_filter_result (*bufferevent_filter_cb)(struct evbuffer* src, struct evbuffer* dst,
                                                                ev_ssize_t dst_limit,
                                                                enum bufferevent_flush_mode mode, void* ctx);
struct bufferevent* bufferevent_filter_new(struct bufferevent* underlying, bufferevent_filter_cb input_filter,
                                           bufferevent_filter_cb output_filter, int options,
                                           void (*free_context)(void*), void* ctx);

enum bufferevent_trigger_options {
  BEV_TRIG_IGNORE_WATERMARKS = (1 << 16),
  BEV_TRIG_DEFER_CALLBACKS = BEV_OPT_DEFER_CALLBACKS
};
void bufferevent_trigger(struct bufferevent* bufev, short iotype, int options);
void bufferevent_trigger_event(struct bufferevent* bufev, short what, int options);

/* Two bufferevents joined in the process: what one writes, the other reads. */
int bufferevent_pair_new(struct event_base* base, int options, struct bufferevent* pair[2]);
struct bufferevent* bufferevent_pair_get_partner(struct bufferevent* bev);

/* How much one read or write may move (libevent's defaults: 16384). */
int bufferevent_set_max_single_read(struct bufferevent* bev, size_t size);
int bufferevent_set_max_single_write(struct bufferevent* bev, size_t size);
ev_ssize_t bufferevent_get_max_single_read(struct bufferevent* bev);
ev_ssize_t bufferevent_get_max_single_write(struct bufferevent* bev);

/* Rate limiting: token buckets of so many bytes per tick (default tick: one
 * second), refilled at each tick up to the burst; socket bufferevents read
 * and write no more than their bucket, and their share of their group's,
 * allows, and pause while a bucket is empty. A cfg given to
 * bufferevent_set_rate_limit must outlive its use; a group copies its cfg.
 * The limits may go negative. Without a limit of its own, a bufferevent's
 * get_read_limit/get_write_limit return EV_SSIZE_MAX. */
struct ev_token_bucket_cfg;
struct bufferevent_rate_limit_group;
#define EV_RATE_LIMIT_MAX EV_SSIZE_MAX
struct ev_token_bucket_cfg* ev_token_bucket_cfg_new(size_t read_rate, size_t read_burst, size_t write_rate,
                                                    size_t write_burst, const struct timeval* tick_len);
void ev_token_bucket_cfg_free(struct ev_token_bucket_cfg* cfg);
int bufferevent_set_rate_limit(struct bufferevent* bev, struct ev_token_bucket_cfg* cfg);
const struct ev_token_bucket_cfg* bufferevent_get_token_bucket_cfg(const struct bufferevent* bev);

/* A group shares one bucket among its members; each may take at least
 * min_share (default 64) per operation. Its refill timer runs on `base`
 * until the group is freed. */
struct bufferevent_rate_limit_group* bufferevent_rate_limit_group_new(struct event_base* base,
                                                                      const struct ev_token_bucket_cfg* cfg);
int bufferevent_rate_limit_group_set_cfg(struct bufferevent_rate_limit_group* g, const struct ev_token_bucket_cfg* cfg);
int bufferevent_rate_limit_group_set_min_share(struct bufferevent_rate_limit_group* g, size_t share);
void bufferevent_rate_limit_group_free(struct bufferevent_rate_limit_group* g);
int bufferevent_add_to_rate_limit_group(struct bufferevent* bev, struct bufferevent_rate_limit_group* g);
int bufferevent_remove_from_rate_limit_group(struct bufferevent* bev);

ev_ssize_t bufferevent_get_read_limit(struct bufferevent* bev);
ev_ssize_t bufferevent_get_write_limit(struct bufferevent* bev);
/* What the next read or write may move: the single-operation limit and the
 * buckets together. */
ev_ssize_t bufferevent_get_max_to_read(struct bufferevent* bev);
ev_ssize_t bufferevent_get_max_to_write(struct bufferevent* bev);
ev_ssize_t bufferevent_rate_limit_group_get_read_limit(struct bufferevent_rate_limit_group* g);
ev_ssize_t bufferevent_rate_limit_group_get_write_limit(struct bufferevent_rate_limit_group* g);

/* Take bytes out of a bucket (a negative count puts them in), suspending or
 * resuming as the bucket crosses zero. The bufferevent ones fail (-1) on a
 * bufferevent without a limit of its own. */
int bufferevent_decrement_read_limit(struct bufferevent* bev, ev_ssize_t decr);
int bufferevent_decrement_write_limit(struct bufferevent* bev, ev_ssize_t decr);
int bufferevent_rate_limit_group_decrement_read(struct bufferevent_rate_limit_group* g, ev_ssize_t decr);
int bufferevent_rate_limit_group_decrement_write(struct bufferevent_rate_limit_group* g, ev_ssize_t decr);

/* Bytes the group's members read and wrote, since creation or the last reset. */
void bufferevent_rate_limit_group_get_totals(struct bufferevent_rate_limit_group* grp, ev_uint64_t* total_read_out,
                                             ev_uint64_t* total_written_out);
void bufferevent_rate_limit_group_reset_totals(struct bufferevent_rate_limit_group* grp);

#ifdef __cplusplus
}
#endif

#endif
