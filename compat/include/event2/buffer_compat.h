/* eddy's libevent-compatible API: the libevent 1.x evbuffer calls (libevent
 * 2.1's <event2/buffer_compat.h>). */
#ifndef EDDY_COMPAT_EVENT2_BUFFER_COMPAT_H
#define EDDY_COMPAT_EVENT2_BUFFER_COMPAT_H

#include <event2/buffer.h>

#ifdef __cplusplus
extern "C" {
#endif

/* evbuffer_readln(buffer, NULL, EVBUFFER_EOL_ANY). */
char* evbuffer_readline(struct evbuffer* buffer);

/* One callback per buffer, told the length before and after each change;
 * setting it replaces every callback added with evbuffer_add_cb(). */
typedef void (*evbuffer_cb)(struct evbuffer* buffer, size_t old_len, size_t new_len, void* arg);
int evbuffer_setcb(struct evbuffer* buffer, evbuffer_cb cb, void* cbarg);

/* The first occurrence of `what`, made contiguous, or NULL. */
unsigned char* evbuffer_find(struct evbuffer* buffer, const unsigned char* what, size_t len);

#define EVBUFFER_LENGTH(x) evbuffer_get_length(x)
#define EVBUFFER_DATA(x) evbuffer_pullup((x), -1)

#ifdef __cplusplus
}
#endif

#endif
