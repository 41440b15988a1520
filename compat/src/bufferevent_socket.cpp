// Socket bufferevents: libevent 2.1's bufferevent_sock, on evbuffer's own
// I/O. Two differences from libevent, both about cost, not behaviour:
//
// - One read takes up to 64 KiB (one readv into up to 4 of the input's
//   chains), where libevent 2.1 reads 4 KiB at a time (and asks FIONREAD
//   first).
// - Data added to the output is written in the same loop iteration, without
//   registering for writability first: as soon as the read callback that
//   added it returns, or else by activating the write event, as if the
//   kernel had reported the socket writable (it nearly always is); the
//   event is registered with the backend only when a write leaves data
//   behind.
//   libevent registers first and writes in the next iteration, which costs
//   an epoll_ctl and a wait per message. The write callback still runs from
//   the loop after the write, never inside a call of the program's: right
//   after the read callback whose data went out, or in the write event's
//   turn.
#include "bufferevent.hpp"
#include "hostname_lookup.hpp"

#include "event_base.hpp"
#include "log.hpp"
#include "rate_limit.hpp"
#include "socket_requests.hpp"

#include <event2/bufferevent_compat.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

namespace {

bool is_retriable(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

// Adds `ev` with the bufferevent's timeout when one is set.
int add_with_timeout(event* ev, const timeval& timeout) {
  return event_add(ev, timerisset(&timeout) ? &timeout : nullptr);
}

// 1: connected, 0: still connecting, -1: failed (errno set).
int finished_connecting(int fd) noexcept {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
    return -1;
  }
  if (err == EINPROGRESS || err == EINTR) {
    return 0;
  }
  if (err != 0) {
    errno = err;
    return -1;
  }
  return 1;
}

void on_writable(evutil_socket_t fd, short what, void* arg);
void write_output(BufferEvent& b, evutil_socket_t fd, bool connected);
bool may_write_now(BufferEvent& b);
void use_write_requests(BufferEvent& b);

void on_readable(evutil_socket_t fd, short what, void* arg) {
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  const BufferEventHold hold(b);
  if (!hold.alive()) {
    return;
  }
  short result = BEV_EVENT_READING;
  if (what == EV_TIMEOUT) {
    result |= BEV_EVENT_TIMEOUT;
  } else {
    std::size_t howmuch = eddy::compat::max_to_read(b);
    if (b.bev.wm_read.high != 0) {
      const std::size_t size = b.input_buffer.size();
      if (size >= b.bev.wm_read.high) {
        b.suspend_read(BufferEvent::kSuspendWatermark);
        return;
      }
      howmuch = std::min(howmuch, b.bev.wm_read.high - size);
    }
    // A dry bucket allows nothing; its refill resumes reading.
    if (b.read_suspended != 0 || howmuch == 0) {
      return;
    }
    eddy::IoResult r;
    if (b.requests != nullptr) {
      r = b.requests->take(b.input_buffer, howmuch);
    } else {
      r = b.input_buffer.read_in(fd, howmuch);
    }
    if (r.bytes != 0) {
      eddy::compat::charge_read(b, r.bytes);
      b.input_buffer.changed();
      // What the read callback writes goes out in one write once it
      // returns, without a trip through the loop's queue of active events.
      b.in_read_callback = true;
      b.trigger_read(0);
      b.in_read_callback = false;
      if (b.write_wanted) {
        b.write_wanted = false;
        if (!b.freed && may_write_now(b)) {
          if (b.connecting) {
            on_writable(b.bev.ev_write.ev_fd, EV_WRITE, &b);
          } else {
            write_output(b, b.bev.ev_write.ev_fd, false);
          }
        }
      }
      if (b.requests != nullptr) {
        b.requests->sync_receive();  // the next receive, or what is still held
      }
      return;
    }
    if (r.would_block() || (r.error && is_retriable(r.error.value()))) {
      if (b.requests != nullptr) {
        b.requests->sync_receive();
      }
      return;
    }
    if (r.error && r.error.value() == ECONNREFUSED && b.connecting) {
      b.connection_refused = true;
      return;
    }
    if (r.eof) {
      result |= BEV_EVENT_EOF;
    } else {
      result |= BEV_EVENT_ERROR;
      errno = r.error.value();
    }
  }
  bufferevent_disable(&b.bev, EV_READ);
  b.run_eventcb(result, 0);
}

void on_writable(evutil_socket_t fd, short what, void* arg) {
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  const BufferEventHold hold(b);
  if (!hold.alive()) {
    return;
  }
  bool connected = false;
  if (what == EV_TIMEOUT) {
    bufferevent_disable(&b.bev, EV_WRITE);
    b.run_eventcb(BEV_EVENT_WRITING | BEV_EVENT_TIMEOUT, 0);
    return;
  }
  if (b.connecting) {
    int c = finished_connecting(fd);
    if (b.connection_refused) {
      b.connection_refused = false;
      errno = ECONNREFUSED;
      c = -1;
    }
    if (c == 0) {
      return;
    }
    b.connecting = false;
    if (c < 0) {
      b.del_event(&b.bev.ev_write);
      b.del_event(&b.bev.ev_read);
      if (b.requests != nullptr) {
        b.requests->want_reading(false);  // the refusal it may hold is the one reported here
      }
      b.run_eventcb(BEV_EVENT_ERROR, 0);
      return;
    }
    connected = true;
    if (b.requests != nullptr) {
      use_write_requests(b);
      b.requests->sync_receive();  // reading waited for the connection
    }
    b.run_eventcb(BEV_EVENT_CONNECTED, 0);
    if ((b.bev.enabled & EV_WRITE) == 0 || b.write_suspended != 0) {
      b.del_event(&b.bev.ev_write);
      return;
    }
  }
  write_output(b, fd, connected);
}

// write_output() where sends go by request (ev_write on fd -1): after the
// last one (drained from the output when it completed), the next starts
// unless one is in flight; the write callback runs as after a write(2).
void write_by_request(BufferEvent& b, bool connected) {
  const eddy::IoResult sent = b.requests->take_sent();
  if (sent.error && !is_retriable(sent.error.value())) {
    errno = sent.error.value();
    bufferevent_disable(&b.bev, EV_WRITE);
    b.run_eventcb(BEV_EVENT_WRITING | BEV_EVENT_ERROR, 0);
    return;
  }
  // The send was in flight whatever the program did since: writing may be
  // off now, and then nothing more goes and no callback runs. (ev_write may
  // have been deleted meanwhile; its activation added it back with its
  // timeout, as a persistent event's run does.) A send that emptied the
  // rate limit's bucket still calls back, as a write(2) does.
  const bool enabled = (b.bev.enabled & EV_WRITE) != 0;
  if (b.output_buffer.size() == 0 || !enabled || b.write_suspended != 0) {
    b.del_event(&b.bev.ev_write);
  } else {
    if (!b.requests->send_output(b.output_buffer, eddy::compat::max_to_write(b))) {
      errno = ENOMEM;
      bufferevent_disable(&b.bev, EV_WRITE);
      b.run_eventcb(BEV_EVENT_WRITING | BEV_EVENT_ERROR, 0);
      return;
    }
    if (!eddy::compat::has_flag(&b.bev.ev_write, EVLIST_INSERTED)) {
      add_with_timeout(&b.bev.ev_write, b.bev.timeout_write);  // the write timeout runs while output waits
    }
  }
  if (enabled && (sent.bytes != 0 || (!connected && b.write_suspended == 0))) {
    b.trigger_write(0);
  }
}

// The write once the socket may take it: from the write event, or straight
// from on_readable (which holds the bufferevent already) for what the read
// callback added.
void write_output(BufferEvent& b, evutil_socket_t fd, bool connected) {
  const short result = BEV_EVENT_WRITING;
  std::size_t written = 0;
  if (b.requests != nullptr && b.bev.ev_write.ev_fd < 0) {
    write_by_request(b, connected);
    return;
  }
  if (b.write_suspended != 0) {
    return;
  }
  if (b.output_buffer.size() != 0) {
    const eddy::IoResult r = b.output_buffer.write_out(fd, eddy::compat::max_to_write(b));
    written = r.bytes;
    if (written != 0) {
      eddy::compat::charge_write(b, written);
      b.output_buffer.changed();
    }
    if (r.error && !is_retriable(r.error.value())) {
      errno = r.error.value();
      bufferevent_disable(&b.bev, EV_WRITE);
      b.run_eventcb(result | BEV_EVENT_ERROR, 0);
      return;
    }
  }
  if (b.output_buffer.size() == 0) {
    b.del_event(&b.bev.ev_write);
  } else if (b.write_suspended == 0 && !eddy::compat::has_flag(&b.bev.ev_write, EVLIST_INSERTED)) {
    // Written through and left data behind: now wait for writability
    // (unless the write emptied a rate-limit bucket, which resumes it).
    add_with_timeout(&b.bev.ev_write, b.bev.timeout_write);
  }
  if (written != 0 || !connected) {
    b.trigger_write(0);
  }
}

// Data added to the output may go out now: writing is on, and the write
// event does not wait for the kernel already (and there is a socket: before
// bufferevent_socket_connect the data waits).
bool may_write_now(BufferEvent& b) {
  return (b.bev.enabled & EV_WRITE) != 0 && b.write_suspended == 0 &&
         (b.bev.ev_write.ev_fd >= 0 || b.requests != nullptr) &&
         eddy::compat::pending_events(&b.bev.ev_write, EV_WRITE) == 0;
}

// The output's change callback (with the lock held): data was added, so
// start writing: when the read callback that is adding it returns
// (on_readable), else from the loop in this iteration.
void on_output_changed(evbuffer*, const evbuffer_cb_info* info, void* arg) {
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  if (info->n_added == 0) {
    return;
  }
  if (b.in_read_callback) {
    b.write_wanted = true;
    return;
  }
  b.on_loop([&b] {
    if (may_write_now(b)) {
      event_active(&b.bev.ev_write, EV_WRITE, 1);
    }
  });
}

// With requests (socket_requests.hpp), ev_read waits on no fd (added,
// counted, never ready by itself, as libevent treats an event on fd -1):
// the requests activate it. So does ev_write, once connected: until then
// it waits for the connection by readiness.
void assign_events(BufferEvent& b, evutil_socket_t fd) {
  b.requests = eddy::compat::SocketRequests::make(b, fd);
  const evutil_socket_t read_fd = b.requests != nullptr ? -1 : fd;
  const evutil_socket_t write_fd = b.requests != nullptr && !b.connecting ? -1 : fd;
  event_assign(&b.bev.ev_read, b.bev.ev_base, read_fd, EV_READ | EV_PERSIST | EV_FINALIZE, on_readable, &b);
  event_assign(&b.bev.ev_write, b.bev.ev_base, write_fd, EV_WRITE | EV_PERSIST | EV_FINALIZE, on_writable, &b);
}

// Connected: from now on ev_write is activated by the sends' completions.
void use_write_requests(BufferEvent& b) {
  const bool added = eddy::compat::has_flag(&b.bev.ev_write, EVLIST_INSERTED);
  const int priority = event_get_priority(&b.bev.ev_write);
  event_del(&b.bev.ev_write);
  event_assign(&b.bev.ev_write, b.bev.ev_base, -1, EV_WRITE | EV_PERSIST | EV_FINALIZE, on_writable, &b);
  event_priority_set(&b.bev.ev_write, priority);
  if (added) {
    add_with_timeout(&b.bev.ev_write, b.bev.timeout_write);
  }
}

int socket_enable(BufferEvent& b, short events) {
  if ((events & EV_READ) != 0 && add_with_timeout(&b.bev.ev_read, b.bev.timeout_read) == -1) {
    return -1;
  }
  if ((events & EV_READ) != 0 && b.requests != nullptr) {
    b.requests->want_reading(true);
  }
  if ((events & EV_WRITE) != 0 && add_with_timeout(&b.bev.ev_write, b.bev.timeout_write) == -1) {
    return -1;
  }
  if ((events & EV_WRITE) != 0 && b.requests != nullptr && b.bev.ev_write.ev_fd < 0) {
    // What a writable socket would do on readiness: write what waits, or
    // call the write callback.
    b.requests->probe_writable();
  }
  return 0;
}

int socket_disable(BufferEvent& b, short events) {
  if ((events & EV_READ) != 0) {
    b.del_event(&b.bev.ev_read);
    if (b.requests != nullptr) {
      b.requests->want_reading(false);
    }
  }
  // While connecting, the write event waits for the connection.
  if ((events & EV_WRITE) != 0 && !b.connecting) {
    b.del_event(&b.bev.ev_write);
  }
  return 0;
}

void socket_destruct(BufferEvent& b) {
  const evutil_socket_t fd = bufferevent_getfd(&b.bev);
  b.del_event(&b.bev.ev_read);
  b.del_event(&b.bev.ev_write);
  b.requests.reset();  // its requests cancelled before the fd is closed
  if ((b.options & BEV_OPT_CLOSE_ON_FREE) != 0 && fd >= 0) {
    ::close(fd);
  }
}

int socket_flush(BufferEvent&, short, bufferevent_flush_mode) { return 0; }

// New timeouts apply at once to the events that are waiting.
void adjust_timeout(event* ev, short kind, const timeval& timeout) {
  if (event_pending(ev, kind, nullptr) != 0) {
    if (timerisset(&timeout)) {
      event_add(ev, &timeout);
    } else {
      event_remove_timer(ev);
    }
  }
}

void socket_adjust_timeouts(BufferEvent& b) {
  adjust_timeout(&b.bev.ev_read, EV_READ, b.bev.timeout_read);
  adjust_timeout(&b.bev.ev_write, EV_WRITE, b.bev.timeout_write);
}

// connect(2) on a non-blocking socket: 1 connected, 0 in progress, 2
// refused at once, -1 failed (errno set).
int start_connect(int fd, const sockaddr* sa, socklen_t len) noexcept {
  if (::connect(fd, sa, len) == 0) {
    return 1;
  }
  if (errno == EINPROGRESS || errno == EINTR) {
    return 0;
  }
  return errno == ECONNREFUSED ? 2 : -1;
}

}  // namespace

const bufferevent_ops socket_bufferevent_ops = {"socket", socket_enable, socket_disable, socket_destruct, socket_flush,
                                                socket_adjust_timeouts};

extern "C" {

struct bufferevent* bufferevent_socket_new(struct event_base* base, evutil_socket_t fd, int options) {
  auto* b = new (std::nothrow) BufferEvent(base, socket_bufferevent_ops, options);
  if (b == nullptr) {
    return nullptr;
  }
  // Made now when every callback is deferred, so that none has to wait
  // for memory later.
  if (((options & BEV_OPT_THREADSAFE) != 0 && b->enable_locking(nullptr) != 0) ||
      ((options & BEV_OPT_DEFER_CALLBACKS) != 0 && !b->make_deferred())) {
    delete b;
    return nullptr;
  }
  assign_events(*b, fd);
  evbuffer_cb_entry* watch_output = evbuffer_add_cb(&b->output_buffer, on_output_changed, b);
  if (watch_output == nullptr) {
    delete b;
    return nullptr;
  }
  watch_output->additions_only = true;
  b->output_buffer.flags |= EVBUFFER_FLAG_DRAINS_TO_FD;
  // Only the bufferevent adds to its input and takes from its output.
  evbuffer_freeze(&b->input_buffer, 0);
  evbuffer_freeze(&b->output_buffer, 1);
  return &b->bev;
}

struct bufferevent* bufferevent_new(evutil_socket_t fd, evbuffercb readcb, evbuffercb writecb, everrorcb errorcb,
                                    void* cbarg) {
  struct bufferevent* bev = bufferevent_socket_new(nullptr, fd, 0);
  if (bev != nullptr) {
    bufferevent_setcb(bev, readcb, writecb, errorcb, cbarg);
  }
  return bev;
}

int bufferevent_base_set(struct event_base* base, struct bufferevent* bufev) {
  if (bufev->be_ops != &socket_bufferevent_ops) {
    return -1;
  }
  bufev->ev_base = base;
  BufferEvent& b = BufferEvent::of(bufev);
  if (b.requests != nullptr) {
    // Its requests were for the old base's loop: on this one it stays on
    // readiness (a program that moves bufferevents between bases is rare).
    const evutil_socket_t fd = b.requests->fd();
    b.requests.reset();
    const int priority = event_get_priority(&bufev->ev_read);
    event_assign(&bufev->ev_read, base, fd, EV_READ | EV_PERSIST | EV_FINALIZE, on_readable, &b);
    event_assign(&bufev->ev_write, base, fd, EV_WRITE | EV_PERSIST | EV_FINALIZE, on_writable, &b);
    event_priority_set(&bufev->ev_read, priority);
    event_priority_set(&bufev->ev_write, priority);
  }
  if (event_base_set(base, &bufev->ev_read) == -1 || event_base_set(base, &bufev->ev_write) == -1) {
    return -1;
  }
  if (b.deferred != nullptr && !b.deferred_scheduled) {
    event_base_set(base, b.deferred);
  }
  return 0;
}

int bufferevent_setfd(struct bufferevent* bufev, evutil_socket_t fd) {
  BufferEvent& b = BufferEvent::of(bufev);
  if (bufev->be_ops != &socket_bufferevent_ops) {
    struct bufferevent* underlying = bufferevent_get_underlying(bufev);
    return underlying != nullptr ? bufferevent_setfd(underlying, fd) : -1;
  }
  const BufferEventHold hold(b);
  // The events are assigned again: only on the loop's thread, after it has
  // deleted them.
  b.on_loop([&b, fd] {
    event_del(&b.bev.ev_read);
    event_del(&b.bev.ev_write);
    b.requests.reset();
    evbuffer_unfreeze(&b.input_buffer, 0);
    evbuffer_unfreeze(&b.output_buffer, 1);
    assign_events(b, fd);
    if (fd >= 0) {
      bufferevent_enable(&b.bev, b.bev.enabled);
    }
  });
  return 0;
}

// A filter's fd is its underlying's, as in libevent.
evutil_socket_t bufferevent_getfd(struct bufferevent* bufev) {
  if (bufev->be_ops == &socket_bufferevent_ops) {
    const BufferEvent& b = BufferEvent::of(bufev);
    return b.requests != nullptr ? b.requests->fd() : event_get_fd(&bufev->ev_write);
  }
  struct bufferevent* underlying = bufferevent_get_underlying(bufev);
  return underlying != nullptr ? bufferevent_getfd(underlying) : -1;
}

int bufferevent_socket_connect(struct bufferevent* bev, const struct sockaddr* sa, int socklen) {
  BufferEvent& b = BufferEvent::of(bev);
  const BufferEventHold hold(b);
  evutil_socket_t fd = bufferevent_getfd(bev);
  bool own_fd = false;
  if (fd < 0) {
    if (sa == nullptr) {
      return -1;
    }
    fd = ::socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      return -1;
    }
    own_fd = true;
  }
  int r = 0;
  if (sa != nullptr) {
    r = start_connect(fd, sa, static_cast<socklen_t>(socklen));
    if (r < 0) {
      if (own_fd) {
        ::close(fd);
      }
      return -1;
    }
  }
  // Connecting from before the fd is set: a receive by completion must not
  // start before the write handler has seen the connection (one in the
  // ring would take the socket's error, which that handler reports).
  b.connecting = r != 2;
  bufferevent_setfd(bev, fd);
  if (r == 0) {
    if (socket_enable(b, EV_WRITE) != 0) {
      return -1;
    }
    b.connecting = true;
  } else if (r == 1) {
    // Connected at once: the write handler reports it from the loop.
    b.connecting = true;
    b.trigger_write(BEV_OPT_DEFER_CALLBACKS);
  } else {
    // Refused at once: reported from the loop, as libevent does.
    errno = ECONNREFUSED;
    b.run_eventcb(BEV_EVENT_ERROR, BEV_OPT_DEFER_CALLBACKS);
    bufferevent_disable(bev, EV_WRITE | EV_READ);
  }
  return 0;
}

int bufferevent_socket_connect_hostname(struct bufferevent* bev, struct evdns_base* dns, int family,
                                        const char* hostname, int port) {
  BufferEvent& b = BufferEvent::of(bev);
  if (dns != nullptr) {
    EDDY_COMPAT_WARN("bufferevent_socket_connect_hostname: evdns is not supported; pass NULL");
    return -1;
  }
  if (family != AF_INET && family != AF_INET6 && family != AF_UNSPEC) {
    return -1;
  }
  if (port < 1 || port > 65535) {
    return -1;
  }
  return eddy::compat::start_hostname_lookup(b, family, hostname, port);
}

int bufferevent_socket_get_dns_error(struct bufferevent* bev) { return BufferEvent::of(bev).dns_error; }

}  // extern "C"
