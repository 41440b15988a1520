/* eddy's libevent-compatible API: connection listeners (libevent 2.1's
 * <event2/listener.h>). A listener accepts TCP connections on a listening
 * socket from its base's loop and hands each one to a callback. Names,
 * types and flag values are libevent's, for binary compatibility. */
#ifndef EDDY_COMPAT_EVENT2_LISTENER_H
#define EDDY_COMPAT_EVENT2_LISTENER_H

#include <event2/event.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sockaddr;
struct evconnlistener;

/* A new connection: its socket (the callback owns it), the peer's address
 * and that address's length. */
typedef void (*evconnlistener_cb)(struct evconnlistener *, evutil_socket_t, struct sockaddr *, int socklen, void *);
/* accept() failed with an error retrying would not cure (EMFILE, ENFILE,
 * ENOBUFS...); errno still holds it. The listener stays enabled. */
typedef void (*evconnlistener_errorcb)(struct evconnlistener *, void *);

/* Accepted sockets stay blocking (by default they are made non-blocking). */
#define LEV_OPT_LEAVE_SOCKETS_BLOCKING (1u << 0)
/* evconnlistener_free() closes the listening socket. */
#define LEV_OPT_CLOSE_ON_FREE (1u << 1)
/* The listening socket (new_bind) and accepted sockets are close-on-exec. */
#define LEV_OPT_CLOSE_ON_EXEC (1u << 2)
/* SO_REUSEADDR on the socket new_bind creates. */
#define LEV_OPT_REUSEABLE (1u << 3)
/* Accepted and implied: another thread's calls on a listener are run by the
 * thread running its base's loop, between callbacks (docs/compat.md). */
#define LEV_OPT_THREADSAFE (1u << 4)
/* Created disabled: call evconnlistener_enable() to start accepting. */
#define LEV_OPT_DISABLED (1u << 5)
/* TCP_DEFER_ACCEPT on the socket new_bind creates. */
#define LEV_OPT_DEFERRED_ACCEPT (1u << 6)
/* SO_REUSEPORT on the socket new_bind creates. */
#define LEV_OPT_REUSEABLE_PORT (1u << 7)
/* IPV6_V6ONLY on the socket new_bind creates. */
#define LEV_OPT_BIND_IPV6ONLY (1u << 8)

/* A listener on fd, a bound socket (non-blocking: accept() is called until
 * it would block). backlog > 0 is passed to listen(), < 0 listens with a
 * default of 128, 0 means fd already listens. A NULL cb leaves the listener
 * idle until evconnlistener_set_cb(). NULL if listen() fails. */
struct evconnlistener *evconnlistener_new(struct event_base *base, evconnlistener_cb cb, void *ptr, unsigned flags,
                                          int backlog, evutil_socket_t fd);
/* A listener on a new non-blocking TCP socket bound to sa (SO_KEEPALIVE set,
 * plus what the flags ask). NULL if any step fails (the socket is closed
 * then), or if backlog is 0. */
struct evconnlistener *evconnlistener_new_bind(struct event_base *base, evconnlistener_cb cb, void *ptr,
                                               unsigned flags, int backlog, const struct sockaddr *sa, int socklen);
/* Stops accepting and frees the listener, closing the socket only with
 * LEV_OPT_CLOSE_ON_FREE. Safe from inside the listener's own callbacks. */
void evconnlistener_free(struct evconnlistener *lev);
/* Resume / stop accepting. 0 on success, -1 on failure. */
int evconnlistener_enable(struct evconnlistener *lev);
int evconnlistener_disable(struct evconnlistener *lev);
struct event_base *evconnlistener_get_base(struct evconnlistener *lev);
evutil_socket_t evconnlistener_get_fd(struct evconnlistener *lev);
/* Replaces the callback and its argument; setting one on an enabled
 * listener that had none starts accepting. */
void evconnlistener_set_cb(struct evconnlistener *lev, evconnlistener_cb cb, void *arg);
/* Without an error callback, accept errors are logged as warnings. */
void evconnlistener_set_error_cb(struct evconnlistener *lev, evconnlistener_errorcb errorcb);

#ifdef __cplusplus
}
#endif

#endif
