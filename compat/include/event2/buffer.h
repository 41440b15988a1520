/* eddy's libevent-compatible API: evbuffer, a byte queue (libevent 2.1's
 * <event2/buffer.h>), laid out in memory as libevent's. See docs/compat.md. */
#ifndef EDDY_COMPAT_EVENT2_BUFFER_H
#define EDDY_COMPAT_EVENT2_BUFFER_H

#include <stdarg.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <event2/util.h>

#ifdef __cplusplus
extern "C" {
#endif

struct evbuffer;
struct event_base;

/* A position in an evbuffer. Only `pos` is meaningful to programs. */
struct evbuffer_ptr {
  ev_ssize_t pos;
  struct {
    void* chain;
    size_t pos_in_chain;
  } internal_;
};

/* On Linux an evbuffer_iovec is a struct iovec, as in libevent. */
#define evbuffer_iovec iovec
#define EVBUFFER_IOVEC_IS_NATIVE_

struct evbuffer* evbuffer_new(void);
void evbuffer_free(struct evbuffer* buf);
/* Locking is the owner's business here: accepted, returns -1 when threads
 * were not enabled with evthread_use_pthreads(), as libevent does. */
int evbuffer_enable_locking(struct evbuffer* buf, void* lock);
void evbuffer_lock(struct evbuffer* buf);
void evbuffer_unlock(struct evbuffer* buf);

#define EVBUFFER_FLAG_DRAINS_TO_FD 1
int evbuffer_set_flags(struct evbuffer* buf, ev_uint64_t flags);
int evbuffer_clear_flags(struct evbuffer* buf, ev_uint64_t flags);

size_t evbuffer_get_length(const struct evbuffer* buf);
size_t evbuffer_get_contiguous_space(const struct evbuffer* buf);
int evbuffer_expand(struct evbuffer* buf, size_t datlen);
int evbuffer_reserve_space(struct evbuffer* buf, ev_ssize_t size, struct evbuffer_iovec* vec, int n_vec);
int evbuffer_commit_space(struct evbuffer* buf, struct evbuffer_iovec* vec, int n_vecs);

int evbuffer_add(struct evbuffer* buf, const void* data, size_t datlen);
int evbuffer_remove(struct evbuffer* buf, void* data, size_t datlen);
ev_ssize_t evbuffer_copyout(struct evbuffer* buf, void* data_out, size_t datlen);
ev_ssize_t evbuffer_copyout_from(struct evbuffer* buf, const struct evbuffer_ptr* pos, void* data_out, size_t datlen);
int evbuffer_remove_buffer(struct evbuffer* src, struct evbuffer* dst, size_t datlen);

enum evbuffer_eol_style {
  EVBUFFER_EOL_ANY,         /* any run of CR and LF */
  EVBUFFER_EOL_CRLF,        /* LF, or CR LF */
  EVBUFFER_EOL_CRLF_STRICT, /* CR LF */
  EVBUFFER_EOL_LF,          /* LF */
  EVBUFFER_EOL_NUL          /* a zero byte */
};
char* evbuffer_readln(struct evbuffer* buffer, size_t* n_read_out, enum evbuffer_eol_style eol_style);

int evbuffer_add_buffer(struct evbuffer* outbuf, struct evbuffer* inbuf);
int evbuffer_add_buffer_reference(struct evbuffer* outbuf, struct evbuffer* inbuf);
typedef void (*evbuffer_ref_cleanup_cb)(const void* data, size_t datalen, void* extra);
int evbuffer_add_reference(struct evbuffer* outbuf, const void* data, size_t datlen,
                           evbuffer_ref_cleanup_cb cleanupfn, void* cleanupfn_arg);
int evbuffer_add_printf(struct evbuffer* buf, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
int evbuffer_add_vprintf(struct evbuffer* buf, const char* fmt, va_list ap) __attribute__((format(printf, 2, 0)));
size_t evbuffer_add_iovec(struct evbuffer* buffer, struct evbuffer_iovec* vec, int n_vec);
int evbuffer_drain(struct evbuffer* buf, size_t len);

/* Files: a segment of a file, added to buffers without copying it into
 * them. It goes out with sendfile(2) from a buffer flagged
 * EVBUFFER_FLAG_DRAINS_TO_FD, else it is mapped (or read) once and its
 * bytes shown in place. The program's reference ends with
 * evbuffer_file_segment_free; the segment goes, and its cleanup runs, when
 * no buffer shows it either. */
struct evbuffer_file_segment;
#define EVBUF_FS_CLOSE_ON_FREE 0x01
#define EVBUF_FS_DISABLE_MMAP 0x02
#define EVBUF_FS_DISABLE_SENDFILE 0x04
#define EVBUF_FS_DISABLE_LOCKING 0x08
typedef void (*evbuffer_file_segment_cleanup_cb)(struct evbuffer_file_segment const* seg, int flags, void* arg);
struct evbuffer_file_segment* evbuffer_file_segment_new(int fd, ev_off_t offset, ev_off_t length, unsigned flags);
void evbuffer_file_segment_free(struct evbuffer_file_segment* seg);
void evbuffer_file_segment_add_cleanup_cb(struct evbuffer_file_segment* seg, evbuffer_file_segment_cleanup_cb cb,
                                          void* arg);
int evbuffer_add_file_segment(struct evbuffer* buf, struct evbuffer_file_segment* seg, ev_off_t offset,
                              ev_off_t length);
/* The segment is closed with the buffer's last use of it. */
int evbuffer_add_file(struct evbuffer* outbuf, int fd, ev_off_t offset, ev_off_t length);

int evbuffer_write(struct evbuffer* buffer, evutil_socket_t fd);
int evbuffer_write_atmost(struct evbuffer* buffer, evutil_socket_t fd, ev_ssize_t howmuch);
int evbuffer_read(struct evbuffer* buffer, evutil_socket_t fd, int howmuch);

struct evbuffer_ptr evbuffer_search(struct evbuffer* buffer, const char* what, size_t len,
                                    const struct evbuffer_ptr* start);
struct evbuffer_ptr evbuffer_search_range(struct evbuffer* buffer, const char* what, size_t len,
                                          const struct evbuffer_ptr* start, const struct evbuffer_ptr* end);
enum evbuffer_ptr_how { EVBUFFER_PTR_SET, EVBUFFER_PTR_ADD };
int evbuffer_ptr_set(struct evbuffer* buffer, struct evbuffer_ptr* ptr, size_t position, enum evbuffer_ptr_how how);
struct evbuffer_ptr evbuffer_search_eol(struct evbuffer* buffer, struct evbuffer_ptr* start, size_t* eol_len_out,
                                        enum evbuffer_eol_style eol_style);
int evbuffer_peek(struct evbuffer* buffer, ev_ssize_t len, struct evbuffer_ptr* start_at, struct evbuffer_iovec* vec_out,
                  int n_vec);

/* Change notification: called after each change with the sizes before and
 * the bytes added and removed since the previous call. */
struct evbuffer_cb_info {
  size_t orig_size;
  size_t n_added;
  size_t n_deleted;
};
typedef void (*evbuffer_cb_func)(struct evbuffer* buffer, const struct evbuffer_cb_info* info, void* arg);
struct evbuffer_cb_entry;
struct evbuffer_cb_entry* evbuffer_add_cb(struct evbuffer* buffer, evbuffer_cb_func cb, void* cbarg);
int evbuffer_remove_cb_entry(struct evbuffer* buffer, struct evbuffer_cb_entry* ent);
int evbuffer_remove_cb(struct evbuffer* buffer, evbuffer_cb_func cb, void* cbarg);
#define EVBUFFER_CB_ENABLED 1
int evbuffer_cb_set_flags(struct evbuffer* buffer, struct evbuffer_cb_entry* cb, ev_uint32_t flags);
int evbuffer_cb_clear_flags(struct evbuffer* buffer, struct evbuffer_cb_entry* cb, ev_uint32_t flags);
void evbuffer_cb_suspend(struct evbuffer* buffer, struct evbuffer_cb_entry* cb);
void evbuffer_cb_unsuspend(struct evbuffer* buffer, struct evbuffer_cb_entry* cb);
/* Runs the callbacks from `base`'s loop instead of inside the change. */
int evbuffer_defer_callbacks(struct evbuffer* buffer, struct event_base* base);

unsigned char* evbuffer_pullup(struct evbuffer* buf, ev_ssize_t size);
int evbuffer_prepend(struct evbuffer* buf, const void* data, size_t size);
int evbuffer_prepend_buffer(struct evbuffer* dst, struct evbuffer* src);
int evbuffer_freeze(struct evbuffer* buf, int at_front);
int evbuffer_unfreeze(struct evbuffer* buf, int at_front);

#ifdef __cplusplus
}
#endif

#endif
