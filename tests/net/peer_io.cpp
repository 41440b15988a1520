#include "net/peer_io.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <system_error>

namespace eddy::test {
namespace {

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

int poll_ms(TimePoint deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, 1000));
}

}  // namespace

PeerState read_available(int fd, std::string& out, std::size_t limit) {
  char chunk[64 * 1024];
  std::size_t taken = 0;
  while (taken < limit) {
    const ssize_t n = ::recv(fd, chunk, std::min(sizeof chunk, limit - taken), 0);
    if (n > 0) {
      out.append(chunk, static_cast<std::size_t>(n));
      taken += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      return PeerState::kEof;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return PeerState::kOpen;
    }
    if (errno == ECONNRESET) {
      return PeerState::kReset;
    }
    throw_errno("recv");
  }
  return PeerState::kOpen;
}

PeerState read_until_closed(int fd, std::string& out, Duration deadline) {
  const TimePoint give_up = Clock::now() + deadline;
  for (;;) {
    const PeerState state = read_available(fd, out);
    if (state != PeerState::kOpen || Clock::now() >= give_up) {
      return state;
    }
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, poll_ms(give_up));
  }
}

std::size_t send_some(int fd, std::string_view data) {
  for (;;) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      return static_cast<std::size_t>(n);
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return 0;
    }
    throw_errno("send");
  }
}

bool wait_readable(int fd, Duration deadline) {
  const TimePoint give_up = Clock::now() + deadline;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, poll_ms(give_up));
    if (n > 0) {
      return true;
    }
    if (Clock::now() >= give_up) {
      return false;
    }
  }
}

void reset_and_close(UniqueFd& fd) {
  const linger reset{1, 0};
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset) != 0) {
    throw_errno("setsockopt SO_LINGER");
  }
  fd.reset();
}

void shutdown_write(int fd) {
  if (::shutdown(fd, SHUT_WR) != 0) {
    throw_errno("shutdown SHUT_WR");
  }
}

}  // namespace eddy::test
