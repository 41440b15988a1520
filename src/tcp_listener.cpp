#include <eddy/log.hpp>
#include <eddy/loop.hpp>
#include <eddy/tcp_listener.hpp>

#include "loop_core.hpp"
#include "sys/error.hpp"
#include "sys/fd.hpp"
#include "sys/socket.hpp"

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>

namespace eddy {
namespace {

using namespace std::chrono_literals;

constexpr Duration kRetryDelay = 100ms;   // when not even the spare fd can be reopened
constexpr Duration kShedLogInterval = 1s;
// Exclusive: when loops share the socket, a new peer wakes one, not all.
constexpr unsigned kWatched = kReadable | kExclusive;

UniqueFd open_spare() noexcept { return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

// The listeners of one process share its descriptor table. Between one
// listener closing its spare and accepting in the freed slot, a listener of
// another loop (TcpServer's threads) could accept into that
// slot, leaving the first with neither a spare nor a way to shed its own
// queue. So every listener's accept and the whole shed (close the spare,
// accept, close, reopen) hold this mutex. Uncontended it costs tens of
// nanoseconds beside accept4's microseconds, and the kernel serializes
// descriptor allocation in a process anyway. (Accepts by io_uring take
// their descriptors inside the kernel, outside the mutex: a shed that
// loses its slot to one finds no descriptor and retries after
// kRetryDelay, as when there is none at all.)
std::mutex& descriptor_mutex() {
  static std::mutex mutex;
  return mutex;
}

UniqueFd accept_serialized(int listen_fd, SocketAddress& peer, std::error_code& ec) {
  const std::lock_guard lock(descriptor_mutex());
  return sys::accept_tcp(listen_fd, peer, ec);
}

}  // namespace

TcpListener::TcpListener(Loop& loop, AcceptCallback on_accept)
    : loop_(loop),
      on_accept_(std::move(on_accept)),
      watcher_(loop, -1, [this](unsigned events) { on_watcher(events); }),
      retry_timer_(loop, [this] { resume(); }) {}

TcpListener::~TcpListener() { close(); }

std::error_code TcpListener::listen(const SocketAddress& address, const TcpListenerOptions& options) {
  close();
  std::error_code ec;
  UniqueFd socket = sys::listen_tcp(address, options.reuse_port, options.backlog, ec);
  if (!socket) {
    return ec;
  }
  const SocketAddress local = SocketAddress::local_of(socket.get()).value_or(address);
  return start_accepting(std::move(socket), local, options);
}

std::error_code TcpListener::share(const TcpListener& first) {
  close();
  if (!first.socket_) {
    return std::make_error_code(std::errc::bad_file_descriptor);
  }
  std::error_code ec;
  UniqueFd socket = sys::duplicate(first.socket_.get(), ec);
  if (!socket) {
    return ec;
  }
  return start_accepting(std::move(socket), first.local_, first.options_);
}

std::error_code TcpListener::start_accepting(UniqueFd socket, const SocketAddress& local,
                                             const TcpListenerOptions& options) {
  spare_ = open_spare();
  options_ = options;
  local_ = local;
  socket_ = std::move(socket);
  watcher_.set_fd(socket_.get());
  paused_ = false;
  std::error_code ec = watch();
  if (ec) {
    close();
  }
  return ec;
}

bool TcpListener::on_completions() const noexcept { return watcher_.events() == detail::kCompletionHandle; }

std::error_code TcpListener::watch() {
  detail::LoopCore& core = loop_.core();
  if (core.completions() == nullptr) {
    std::error_code ec;
    watcher_.start(kWatched, ec);
    return ec;
  }
  if (!watcher_.is_active()) {
    if (std::error_code ec = core.completion_start(watcher_, "TcpListener::listen")) {
      return ec;
    }
  }
  return arm_accept();
}

// One accept in flight at a time, started again as soon as it ends: a
// burst takes one peer per loop iteration, each accept joining the
// iteration's one io_uring_enter (the kernel finishes it there at once
// when a peer is waiting). Several in flight would take a burst faster,
// but each can finish after a pause() (see the header) or give this
// listener a peer that another loop sharing the socket had room for.
std::error_code TcpListener::arm_accept() {
  if (request_in_flight_) {
    return {};
  }
  detail::LoopCore& core = loop_.core();
  if (std::error_code ec = core.completions()->accept_start(socket_.get(), core.token_of(watcher_))) {
    return ec;
  }
  request_in_flight_ = true;
  return {};
}

void TcpListener::stop_watching() noexcept {
  watcher_.stop();  // cancels the accepts in flight: what they still take is closed by the loop
  request_in_flight_ = false;
}

void TcpListener::pause() noexcept {
  paused_ = true;
  retry_timer_.stop();
  if (on_completions() && request_in_flight_) {
    // The accept in flight still ends: cancelled, or with a socket the
    // kernel took just before, which reaches on_accept like any other
    // (held back, it would wait for a resume() that may never come, where
    // readiness would have left it to another listener on the socket).
    // The watcher stops then (on_accept_done).
    loop_.core().completions()->cancel_all(socket_.get());
    return;
  }
  stop_watching();
}

void TcpListener::resume() {
  paused_ = false;
  if (!socket_) {
    return;
  }
  reopen_spare_if_lost();
  if (std::error_code ec = watch()) {
    throw std::system_error(ec, "TcpListener: cannot accept on " + local_.to_string() + " again");
  }
}

void TcpListener::close() noexcept {
  stop_watching();
  retry_timer_.stop();
  socket_.reset();
  spare_.reset();
}

void TcpListener::reopen_spare_if_lost() {
  // A spare lost when even /dev/null could not be opened comes back as soon
  // as a descriptor is free: without it the listener could never shed again.
  if (!spare_) {
    const std::lock_guard lock(descriptor_mutex());
    spare_ = open_spare();
  }
}

void TcpListener::on_watcher(unsigned events) {
  if ((events & detail::kAcceptDone) != 0U) {
    on_accept_done(loop_.core().completion(), (events & detail::kAcceptMore) != 0U);
  } else if ((events & detail::kShedDone) != 0U) {
    on_shed_done(loop_.core().completion().result);
  } else if ((events & detail::kCompletionEvents) != 0U) {
    // Not an accept's: the loop replaced its ring (Loop::reinit_after_fork)
    // and the accepts in flight went with the old one.
    request_in_flight_ = false;
    if (paused_ || !socket_) {
      stop_watching();
    } else {
      rearm_or_retry();
    }
  } else {
    accept_ready(options_.accept_batch);
  }
}

void TcpListener::on_accept_done(const detail::Completion& done, bool more_waiting) {
  request_in_flight_ = false;
  if (done.result >= 0) {
    UniqueFd socket(done.result);
    const SocketAddress peer =
        SocketAddress::from(reinterpret_cast<const sockaddr*>(&done.received->address), done.received->length);
    on_accept_(std::move(socket), peer);  // even when paused since: see pause()
    if (!socket_) {
      return;  // the callback closed us
    }
  } else if (done.result != -ECANCELED) {
    const std::error_code ec = sys::make_error(-done.result);
    if (sys::is_out_of_descriptors(ec)) {
      // The peer is still in the backlog: the kernel found no descriptor
      // before taking it. Shed it with one of the ring's own descriptors
      // where the kernel can: the spare's slot, once freed, could go to
      // another loop's accept in flight, which no mutex can hold back.
      detail::LoopCore& core = loop_.core();
      if (core.completions()->shed_start(socket_.get(), core.token_of(watcher_))) {
        request_in_flight_ = true;
        return;  // on_shed_done() accepts again
      }
      reopen_spare_if_lost();
      if (!shed_one()) {
        return;
      }
    } else if (!sys::is_per_connection_accept_error(ec)) {
      log(LogLevel::kError, "accept on " + local_.to_string() + ": " + ec.message());
      stop_watching();
      retry_timer_.start(kRetryDelay);  // not at once: the same error would come back in a tight loop
      return;
    }
  }
  if (paused_) {
    stop_watching();  // the request pause() cancelled has ended
    return;
  }
  if (more_waiting && options_.accept_batch > 1) {
    // A burst: the rest of the batch by accept4 now, not one per iteration.
    accept_ready(options_.accept_batch - 1);
    if (!socket_ || paused_ || !watcher_.is_active()) {
      return;  // closed, paused, or waiting for a descriptor (shed_one)
    }
  }
  rearm_or_retry();
}

void TcpListener::on_shed_done(int result) {
  request_in_flight_ = false;
  if (result == 0) {
    count_shed();
  } else if (result != -EAGAIN && result != -ECANCELED) {
    // The kernel refused the shed itself: shed the way readiness does.
    if (!shed_one()) {
      return;
    }
  }
  if (paused_) {
    stop_watching();
    return;
  }
  rearm_or_retry();
}

void TcpListener::rearm_or_retry() {
  if (std::error_code ec = arm_accept()) {
    log(LogLevel::kError, "accept on " + local_.to_string() + ": " + ec.message());
    stop_watching();
    retry_timer_.start(kRetryDelay);
  }
}

void TcpListener::accept_ready(std::size_t limit) {
  reopen_spare_if_lost();
  // A batch per readiness: a burst of clients costs one wakeup, and the
  // cap lets the loop's other watchers run during a flood.
  for (std::size_t i = 0; i < limit; ++i) {
    SocketAddress peer;
    std::error_code ec;
    UniqueFd socket = accept_serialized(socket_.get(), peer, ec);
    if (socket) {
      on_accept_(std::move(socket), peer);
      if (!socket_ || paused_) {
        return;  // the callback closed or paused us
      }
      continue;
    }
    // By value, like the sys:: classifiers below: comparing with std::errc
    // is a virtual call into the category, and UBSan's check of that call
    // needs a descriptor of its own, which out of descriptors (the first
    // error a burst may meet) it cannot get.
    if (ec.value() == EAGAIN || ec.value() == EWOULDBLOCK) {
      return;
    }
    if (sys::is_per_connection_accept_error(ec)) {
      continue;
    }
    if (sys::is_out_of_descriptors(ec)) {
      if (on_completions()) {
        return;  // the accept request started next meets it, and sheds without the spare
      }
      if (!shed_one()) {
        return;
      }
      continue;
    }
    log(LogLevel::kError, "accept on " + local_.to_string() + ": " + ec.message());
    return;
  }
}

void TcpListener::count_shed() {
  ++shed_;
  const TimePoint now = loop_.now();
  if (now - last_shed_log_ >= kShedLogInterval) {
    last_shed_log_ = now;
    log(LogLevel::kWarning, "out of file descriptors on " + local_.to_string() + ": shed " + std::to_string(shed_) +
                                " connection(s) so far");
  }
}

bool TcpListener::shed_one() {
  // Level-triggered readiness would otherwise report the waiting peer on
  // every iteration, spinning the loop at 100% CPU while it can do nothing.
  bool took_one = false;
  {
    const std::lock_guard lock(descriptor_mutex());
    spare_.reset();
    SocketAddress peer;
    std::error_code ec;
    took_one = static_cast<bool>(sys::accept_tcp(socket_.get(), peer, ec));  // and closed at once
    spare_ = open_spare();
  }
  if (took_one) {
    count_shed();
  }
  if (!spare_ || !took_one) {
    // No descriptor to be had at all: stop watching for a moment.
    stop_watching();
    retry_timer_.start(kRetryDelay);
    return false;
  }
  return true;
}

}  // namespace eddy
