#pragma once

#include <cstddef>
#include <system_error>
#include <utility>

namespace eddy::sys {

// Owns a file descriptor and closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset(std::exchange(other.fd_, -1));
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC). Throws std::system_error.
UniqueFd make_eventfd();
// Adds one to an eventfd counter. EAGAIN (counter saturated) still wakes the
// reader, so it is not an error.
void eventfd_signal(int fd) noexcept;
// Reads and resets an eventfd counter.
void eventfd_drain(int fd) noexcept;

}  // namespace eddy::sys
