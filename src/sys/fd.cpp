#include "sys/fd.hpp"

#include "sys/error.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace eddy::sys {

UniqueFd make_eventfd() {
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    throw_last_error("eventfd");
  }
  return UniqueFd(fd);
}

void eventfd_signal(int fd) noexcept {
  std::uint64_t one = 1;
  ssize_t n;
  do {
    n = ::write(fd, &one, sizeof one);
  } while (n < 0 && errno == EINTR);
}

void eventfd_drain(int fd) noexcept {
  std::uint64_t value;
  ssize_t n;
  do {
    n = ::read(fd, &value, sizeof value);
  } while (n < 0 && errno == EINTR);
}

UniqueFd duplicate(int fd, std::error_code& ec) noexcept {
  UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  ec = copy ? std::error_code{} : last_error();
  return copy;
}

}  // namespace eddy::sys
