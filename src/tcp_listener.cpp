#include <eddy/log.hpp>
#include <eddy/loop.hpp>
#include <eddy/tcp_listener.hpp>

#include "sys/fd.hpp"
#include "sys/socket.hpp"

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <mutex>
#include <string>

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
// descriptor allocation in a process anyway.
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
      watcher_(loop, -1, [this](unsigned /*events*/) { on_acceptable(); }),
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
  std::error_code ec;
  watcher_.start(kWatched, ec);
  if (ec) {
    close();
  }
  return ec;
}

void TcpListener::pause() noexcept {
  paused_ = true;
  watcher_.stop();
  retry_timer_.stop();
}

void TcpListener::resume() {
  paused_ = false;
  if (socket_) {
    reopen_spare_if_lost();
    watcher_.start(kWatched);
  }
}

void TcpListener::close() noexcept {
  watcher_.stop();
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

void TcpListener::on_acceptable() {
  reopen_spare_if_lost();
  // A batch per readiness: a burst of clients costs one wakeup, and the
  // cap lets the loop's other watchers run during a flood.
  for (std::size_t i = 0; i < options_.accept_batch; ++i) {
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
      if (!shed_one()) {
        return;
      }
      continue;
    }
    log(LogLevel::kError, "accept on " + local_.to_string() + ": " + ec.message());
    return;
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
    ++shed_;
    const TimePoint now = loop_.now();
    if (now - last_shed_log_ >= kShedLogInterval) {
      last_shed_log_ = now;
      log(LogLevel::kWarning, "out of file descriptors on " + local_.to_string() + ": shed " +
                                  std::to_string(shed_) + " connection(s) so far");
    }
  }
  if (!spare_ || !took_one) {
    // No descriptor to be had at all: stop watching for a moment.
    watcher_.stop();
    retry_timer_.start(kRetryDelay);
    return false;
  }
  return true;
}

}  // namespace eddy
