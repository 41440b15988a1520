// evconnlistener: accepting TCP connections (<event2/listener.h>), as a
// persistent read event on the listening socket of the listener's base.
#include "event_base.hpp"
#include "event_fields.hpp"
#include "log.hpp"

#include <event2/listener.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <utility>

namespace {

// libevent's default when the caller passes a negative backlog.
constexpr int kDefaultBacklog = 128;
// A burst of connections must not keep the loop from its established ones;
// what is left in the backlog keeps the socket readable for the next round.
constexpr int kAcceptsPerWakeup = 64;

bool retry_later(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED; }

}  // namespace

struct evconnlistener {
  event ev;  // EV_READ | EV_PERSIST on the listening socket
  evconnlistener_cb cb;
  evconnlistener_errorcb errorcb;
  void* user_data;
  unsigned flags;
  int accept_flags;
  bool enabled;
  // One for the owner, one per callback running: a callback may free the
  // listener, which then lives until the callback has returned.
  int refs;
};

namespace {

// Another thread's call is run by the thread running the base's loop, as
// event_add() and event_del() are: between callbacks, never during one.
template <typename F>
auto in_loop(evconnlistener* lev, F f) -> decltype(f()) {
  event_base* base = lev->ev.ev_base;
  return base != nullptr ? base->on_loop_thread(std::move(f)) : f();
}

// Returns true when that was the last reference and the listener is gone.
bool release(evconnlistener* lev) {
  if (--lev->refs > 0) {
    return false;
  }
  delete lev;
  return true;
}

// errno still holds err: the error callback reads it there, as in libevent.
void report_accept_error(evconnlistener* lev, evutil_socket_t fd, int err) {
  if (lev->errorcb == nullptr) {
    EDDY_COMPAT_WARN("Error from accept() call on fd %d: %s", fd, std::strerror(err));
    return;
  }
  ++lev->refs;
  lev->errorcb(lev, lev->user_data);
  release(lev);
}

void on_readable(evutil_socket_t fd, short, void* arg) {
  auto* lev = static_cast<evconnlistener*>(arg);
  for (int i = 0; i < kAcceptsPerWakeup; ++i) {
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    const int conn = ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len, lev->accept_flags);
    if (conn < 0) {
      const int err = errno;
      if (!retry_later(err)) {
        report_accept_error(lev, fd, err);
      }
      return;
    }
    // evconnlistener_set_cb(lev, NULL, ...) leaves the event added: as in
    // libevent, what arrives meanwhile is accepted and dropped.
    if (lev->cb == nullptr) {
      ::close(conn);
      return;
    }
    ++lev->refs;
    lev->cb(lev, conn, reinterpret_cast<sockaddr*>(&peer), static_cast<int>(peer_len), lev->user_data);
    if (release(lev) || !lev->enabled) {
      return;
    }
  }
}

int start(evconnlistener* lev) { return lev->cb != nullptr ? event_add(&lev->ev, nullptr) : 0; }

int set_int_option(int fd, int level, int name) {
  const int on = 1;
  return ::setsockopt(fd, level, name, &on, sizeof on);
}

// The socket options new_bind applies before bind(), per flag.
bool configure_bound_socket(int fd, unsigned flags) {
  if (set_int_option(fd, SOL_SOCKET, SO_KEEPALIVE) < 0) {
    return false;
  }
  if ((flags & LEV_OPT_REUSEABLE) != 0 && evutil_make_listen_socket_reuseable(fd) < 0) {
    return false;
  }
  if ((flags & LEV_OPT_REUSEABLE_PORT) != 0 && evutil_make_listen_socket_reuseable_port(fd) < 0) {
    return false;
  }
  if ((flags & LEV_OPT_DEFERRED_ACCEPT) != 0 && evutil_make_tcp_listen_socket_deferred(fd) < 0) {
    return false;
  }
  return (flags & LEV_OPT_BIND_IPV6ONLY) == 0 || set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY) == 0;
}

}  // namespace

extern "C" {

struct evconnlistener* evconnlistener_new(struct event_base* base, evconnlistener_cb cb, void* ptr, unsigned flags,
                                          int backlog, evutil_socket_t fd) {
  if (backlog != 0 && ::listen(fd, backlog > 0 ? backlog : kDefaultBacklog) < 0) {
    return nullptr;
  }
  auto* lev = new (std::nothrow) evconnlistener{};
  if (lev == nullptr) {
    return nullptr;
  }
  lev->cb = cb;
  lev->user_data = ptr;
  lev->flags = flags;
  lev->refs = 1;
  lev->accept_flags = ((flags & LEV_OPT_LEAVE_SOCKETS_BLOCKING) == 0 ? SOCK_NONBLOCK : 0) |
                      ((flags & LEV_OPT_CLOSE_ON_EXEC) != 0 ? SOCK_CLOEXEC : 0);
  event_assign(&lev->ev, base, fd, EV_READ | EV_PERSIST, on_readable, lev);
  if ((flags & LEV_OPT_DISABLED) == 0) {
    evconnlistener_enable(lev);
  }
  return lev;
}

struct evconnlistener* evconnlistener_new_bind(struct event_base* base, evconnlistener_cb cb, void* ptr,
                                               unsigned flags, int backlog, const struct sockaddr* sa, int socklen) {
  // new_bind has nothing that already listens.
  if (backlog == 0) {
    return nullptr;
  }
  const int type = SOCK_STREAM | SOCK_NONBLOCK | ((flags & LEV_OPT_CLOSE_ON_EXEC) != 0 ? SOCK_CLOEXEC : 0);
  const int fd = ::socket(sa != nullptr ? sa->sa_family : AF_UNSPEC, type, 0);
  if (fd < 0) {
    return nullptr;
  }
  if (configure_bound_socket(fd, flags) &&
      (sa == nullptr || ::bind(fd, sa, static_cast<socklen_t>(socklen)) == 0)) {
    if (evconnlistener* lev = evconnlistener_new(base, cb, ptr, flags, backlog, fd)) {
      return lev;
    }
  }
  const int err = errno;  // the caller may want bind()'s reason, not close()'s
  ::close(fd);
  errno = err;
  return nullptr;
}

void evconnlistener_free(struct evconnlistener* lev) {
  auto shut_down = [lev] {
    lev->cb = nullptr;
    lev->errorcb = nullptr;
    event_del(&lev->ev);
    if ((lev->flags & LEV_OPT_CLOSE_ON_FREE) != 0) {
      ::close(lev->ev.ev_fd);
    }
    release(lev);
  };
  // event_base_free() takes the event out of the base, clearing these
  // flags: the listener may then outlive its base, as events may
  // (docs/compat.md), and the base must not be asked about threads.
  if (eddy::compat::has_flag(&lev->ev, EVLIST_INSERTED | EVLIST_ACTIVE)) {
    in_loop(lev, shut_down);
  } else {
    shut_down();
  }
}

int evconnlistener_enable(struct evconnlistener* lev) {
  return in_loop(lev, [lev] {
    lev->enabled = true;
    return start(lev);
  });
}

int evconnlistener_disable(struct evconnlistener* lev) {
  return in_loop(lev, [lev] {
    lev->enabled = false;
    return event_del(&lev->ev);
  });
}

struct event_base* evconnlistener_get_base(struct evconnlistener* lev) { return lev->ev.ev_base; }

evutil_socket_t evconnlistener_get_fd(struct evconnlistener* lev) { return lev->ev.ev_fd; }

void evconnlistener_set_cb(struct evconnlistener* lev, evconnlistener_cb cb, void* arg) {
  in_loop(lev, [=] {
    const bool was_waiting = lev->enabled && lev->cb == nullptr;
    lev->cb = cb;
    lev->user_data = arg;
    if (was_waiting) {
      start(lev);
    }
  });
}

void evconnlistener_set_error_cb(struct evconnlistener* lev, evconnlistener_errorcb errorcb) {
  in_loop(lev, [=] { lev->errorcb = errorcb; });
}

}  // extern "C"
