#pragma once

#include <cstddef>

namespace eddy::test {

// Number of file descriptors this process has open (entries of
// /proc/self/fd, not counting the one used to list them). Throws
// std::system_error when /proc is not mounted.
std::size_t open_fd_count();

}  // namespace eddy::test
