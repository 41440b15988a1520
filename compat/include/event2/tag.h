/* eddy's libevent-compatible API: tagged data on evbuffers (libevent 2.1's
 * <event2/tag.h>), in libevent's wire format, so that records written by
 * either library read back with the other. See docs/compat.md.
 *
 * A record is a tag, the payload's length, then the payload. Tags and
 * integers are variable-length (the format is drawn in compat/src/evtag.cpp).
 * The calls touch only the buffers given, and are as thread-safe as those
 * buffers. Decoders return -1 on malformed or truncated input; as in
 * libevent, a failed evtag_unmarshal* has already consumed the parts of the
 * record it got past (the tag, and the length once the length was read), and
 * evtag_unmarshal_timeval consumes a complete record whatever its tag. The
 * evtag_peek* calls consume nothing. */
#ifndef EDDY_COMPAT_EVENT2_TAG_H
#define EDDY_COMPAT_EVENT2_TAG_H

#include <sys/time.h>
#include <sys/types.h>

#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

struct evbuffer;

/* Does nothing; kept for programs written for libevent 1.x. */
void evtag_init(void);

/* Consumes the tag and length of the record at the front; the payload's
 * length, or -1 when the record is malformed, longer than the buffer or
 * than INT_MAX. */
int evtag_unmarshal_header(struct evbuffer* evbuf, ev_uint32_t* ptag);

void evtag_marshal(struct evbuffer* evbuf, ev_uint32_t tag, const void* data, ev_uint32_t len);
/* The payload is all of `data`, which is moved and left empty. */
void evtag_marshal_buffer(struct evbuffer* evbuf, ev_uint32_t tag, struct evbuffer* data);

/* A bare integer, without tag or length: 1 to 9 bytes, whatever the host's
 * byte order. */
void evtag_encode_int(struct evbuffer* evbuf, ev_uint32_t number);
void evtag_encode_int64(struct evbuffer* evbuf, ev_uint64_t number);

void evtag_marshal_int(struct evbuffer* evbuf, ev_uint32_t tag, ev_uint32_t integer);
void evtag_marshal_int64(struct evbuffer* evbuf, ev_uint32_t tag, ev_uint64_t integer);
/* The payload is the string without its NUL. */
void evtag_marshal_string(struct evbuffer* buf, ev_uint32_t tag, const char* string);
/* Seconds and microseconds as two integers, each cut to 32 bits. */
void evtag_marshal_timeval(struct evbuffer* evbuf, ev_uint32_t tag, struct timeval* tv);

/* Moves the front record's payload to the end of dst; its length, or -1. */
int evtag_unmarshal(struct evbuffer* src, ev_uint32_t* ptag, struct evbuffer* dst);
/* The front record's tag; the tag's size in bytes, or -1. */
int evtag_peek(struct evbuffer* evbuf, ev_uint32_t* ptag);
/* The front record's size, header included, whether or not all of it is in
 * the buffer yet; 0, or -1. */
int evtag_peek_length(struct evbuffer* evbuf, ev_uint32_t* plength);
/* The front record's payload length; 0, or -1. */
int evtag_payload_length(struct evbuffer* evbuf, ev_uint32_t* plength);
/* Drops the front record; 0, or -1. */
int evtag_consume(struct evbuffer* evbuf);

/* A record holding one integer, tagged need_tag: the integer's size in
 * bytes, or -1. */
int evtag_unmarshal_int(struct evbuffer* evbuf, ev_uint32_t need_tag, ev_uint32_t* pinteger);
int evtag_unmarshal_int64(struct evbuffer* evbuf, ev_uint32_t need_tag, ev_uint64_t* pinteger);
/* A record of exactly len bytes: 0, or -1. */
int evtag_unmarshal_fixed(struct evbuffer* src, ev_uint32_t need_tag, void* data, size_t len);
/* The payload, NUL-terminated, in memory from malloc (or the function given
 * to event_set_mem_functions) that the caller frees: 0, or -1. */
int evtag_unmarshal_string(struct evbuffer* evbuf, ev_uint32_t need_tag, char** pstring);
int evtag_unmarshal_timeval(struct evbuffer* evbuf, ev_uint32_t need_tag, struct timeval* ptv);

#ifdef __cplusplus
}
#endif

#endif
