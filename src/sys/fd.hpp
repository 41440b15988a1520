#pragma once

#include <eddy/unique_fd.hpp>

#include <system_error>

namespace eddy::sys {

using eddy::UniqueFd;

// eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC). Throws std::system_error.
UniqueFd make_eventfd();
// Adds one to an eventfd counter. EAGAIN (counter saturated) still wakes the
// reader, so it is not an error.
void eventfd_signal(int fd) noexcept;
// Reads and resets an eventfd counter.
void eventfd_drain(int fd) noexcept;

// A close-on-exec duplicate of `fd` (fcntl F_DUPFD_CLOEXEC): another
// descriptor for the same open file.
UniqueFd duplicate(int fd, std::error_code& ec) noexcept;

}  // namespace eddy::sys
