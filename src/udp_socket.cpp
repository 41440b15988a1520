#include <eddy/log.hpp>
#include <eddy/loop.hpp>
#include <eddy/udp_socket.hpp>

#include "loop_core.hpp"
#include "sys/error.hpp"
#include "sys/socket.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <string>

namespace eddy {

UdpSocket::UdpSocket(Loop& loop, ReceiveCallback on_receive, std::size_t max_datagram)
    : on_receive_(std::move(on_receive)),
      watcher_(loop, -1, [this](unsigned events) { on_watcher(events); }),
      receive_buffer_(max_datagram) {}

UdpSocket::~UdpSocket() { close(); }

std::error_code UdpSocket::bind(const SocketAddress& address, const UdpBindOptions& options) {
  std::error_code ec;
  UniqueFd socket = sys::open_socket(address.family(), SOCK_DGRAM, ec);
  if (!socket) {
    return ec;
  }
  const int on = 1;
  if ((options.share_port_with_other_processes &&
       ::setsockopt(socket.get(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) ||
      ::bind(socket.get(), address.get(), address.size()) != 0) {
    return sys::last_error();
  }
  return adopt(std::move(socket));
}

std::error_code UdpSocket::open(int family) {
  std::error_code ec;
  UniqueFd socket = sys::open_socket(family, SOCK_DGRAM, ec);
  if (!socket) {
    return ec;
  }
  return adopt(std::move(socket));
}

std::error_code UdpSocket::adopt(UniqueFd socket) {
  close();
  socket_ = std::move(socket);
  watcher_.set_fd(socket_.get());
  std::error_code ec = watch();
  if (ec) {
    close();
  }
  return ec;
}

// On the uring backend's completion path, one recvmsg request at a time,
// started again as soon as it ends: a datagram costs no system call, and
// one that is waiting when the request starts is taken inside the same
// io_uring_enter. (A multishot receive would need blocks of the loop's
// ring, 16 KiB each, and truncate datagrams that max_datagram allows.)
// The kernel does not say whether more datagrams wait, so a burst takes
// one per loop iteration, which costs an io_uring_enter each where
// readiness would make a recvfrom each.
std::error_code UdpSocket::watch() {
  detail::LoopCore& core = watcher_.loop().core();
  if (core.completions() == nullptr) {
    std::error_code ec;
    watcher_.start(kReadable, ec);
    return ec;
  }
  if (std::error_code ec = core.completion_start(watcher_, "UdpSocket::bind")) {
    return ec;
  }
  return start_receive();
}

std::error_code UdpSocket::start_receive() {
  detail::LoopCore& core = watcher_.loop().core();
  return core.completions()->datagram_start(socket_.get(), receive_buffer_.size(), core.token_of(watcher_));
}

void UdpSocket::close() noexcept {
  watcher_.stop();  // cancels a receive in flight; its memory is the loop's
  socket_.reset();
}

void UdpSocket::on_watcher(unsigned events) {
  if ((events & detail::kCompletionEvents) == 0U) {
    on_readable();
    return;
  }
  const detail::Completion& done = watcher_.loop().core().completion();
  if ((events & detail::kDatagramDone) != 0U && done.result >= 0) {
    const auto length = static_cast<std::size_t>(done.result);
    const bool truncated = length > receive_buffer_.size() || (done.received->flags & MSG_TRUNC) != 0;
    const SocketAddress peer =
        SocketAddress::from(reinterpret_cast<const sockaddr*>(&done.received->address), done.received->length);
    on_receive_(*this, Datagram{std::span<const char>(done.received->data, truncated ? receive_buffer_.size() : length),
                                peer, truncated});
    if (!socket_) {
      return;  // the callback closed us
    }
  } else if (const int error = -done.result;
             error != ECONNREFUSED && error != EINTR && error != EAGAIN && error != ECANCELED) {
    // ECONNREFUSED: an ICMP error for an earlier send_to, which concerns
    // that datagram only. ECANCELED: the loop's ring was replaced (fork).
    // Anything else would come back at once: go on by readiness.
    log(LogLevel::kError, "receive on UDP " + local_address().to_string() + ": " + sys::make_error(error).message() +
                              "; receiving by readiness from now on");
    watcher_.stop();
    watcher_.start(kReadable);
    return;
  }
  if (std::error_code ec = start_receive()) {
    log(LogLevel::kError, "receive on UDP " + local_address().to_string() + ": " + ec.message() +
                              "; receiving by readiness from now on");
    watcher_.stop();
    watcher_.start(kReadable);
  }
}

SocketAddress UdpSocket::local_address() const noexcept {
  return SocketAddress::local_of(socket_.get()).value_or(SocketAddress{});
}

std::error_code UdpSocket::send_to(std::span<const char> data, const SocketAddress& peer) noexcept {
  for (;;) {
    const ssize_t n = ::sendto(socket_.get(), data.data(), data.size(), MSG_NOSIGNAL, peer.get(), peer.size());
    if (n >= 0) {
      return {};
    }
    if (errno != EINTR) {
      return sys::last_error();
    }
  }
}

void UdpSocket::on_readable() {
  for (std::size_t i = 0; i < receive_batch_ && socket_; ++i) {
    sockaddr_storage from{};
    socklen_t from_size = sizeof from;
    // MSG_TRUNC makes recvfrom return the datagram's real length, so a
    // truncated datagram can be reported as such.
    const ssize_t n = ::recvfrom(socket_.get(), receive_buffer_.data(), receive_buffer_.size(), MSG_TRUNC,
                                 reinterpret_cast<sockaddr*>(&from), &from_size);
    if (n < 0) {
      // EAGAIN: drained. ECONNREFUSED: an ICMP error for an earlier send_to;
      // it concerns that datagram only, so keep reading.
      if (errno == EINTR || errno == ECONNREFUSED) {
        continue;
      }
      return;
    }
    const auto length = static_cast<std::size_t>(n);
    const bool truncated = length > receive_buffer_.size();
    const SocketAddress peer = SocketAddress::from(reinterpret_cast<const sockaddr*>(&from), from_size);
    on_receive_(*this, Datagram{std::span<const char>(receive_buffer_.data(), truncated ? receive_buffer_.size() : length),
                                peer, truncated});
  }
}

}  // namespace eddy
