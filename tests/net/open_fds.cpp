#include "net/open_fds.hpp"

#include <dirent.h>

#include <cerrno>
#include <string_view>
#include <system_error>

namespace eddy::test {

std::size_t open_fd_count() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) {
    throw std::system_error(errno, std::generic_category(), "opendir /proc/self/fd");
  }
  std::size_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      ++count;
    }
  }
  ::closedir(dir);
  return count - 1;  // the directory stream's own descriptor
}

}  // namespace eddy::test
