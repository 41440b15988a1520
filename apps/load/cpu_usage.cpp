#include "cpu_usage.hpp"

#include <eddy/unique_fd.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <sstream>

namespace eddy_load {

namespace {

CpuTime from_timeval(const timeval& tv) noexcept {
  return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

}  // namespace

std::optional<CpuTime> parse_proc_stat(const std::string& text, long ticks_per_second) {
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos || ticks_per_second <= 0) {
    return std::nullopt;
  }
  // After the command name: field 3 (state) ... field 14 (utime), 15 (stime).
  std::istringstream fields(text.substr(close + 1));
  std::string skipped;
  for (int field = 3; field < 14; ++field) {
    if (!(fields >> skipped)) {
      return std::nullopt;
    }
  }
  unsigned long long user_ticks = 0;
  unsigned long long system_ticks = 0;
  if (!(fields >> user_ticks >> system_ticks)) {
    return std::nullopt;
  }
  const unsigned long long ticks = user_ticks + system_ticks;
  const auto per_second = static_cast<unsigned long long>(ticks_per_second);
  return std::chrono::seconds(ticks / per_second) +
         std::chrono::nanoseconds((ticks % per_second) * 1'000'000'000ULL / per_second);
}

std::optional<CpuTime> process_cpu_time(pid_t pid, std::error_code& error) {
  // open/read rather than an ifstream, for the errno: "No such file or
  // directory" is how a person learns that the pid is wrong.
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  const eddy::UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) {
    error = std::error_code(errno, std::generic_category());
    return std::nullopt;
  }
  std::array<char, 1024> bytes{};  // the whole line is about 300 bytes
  ssize_t n = 0;
  do {
    n = ::read(file.get(), bytes.data(), bytes.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    error = std::error_code(errno, std::generic_category());
    return std::nullopt;
  }
  std::optional<CpuTime> cpu =
      parse_proc_stat(std::string(bytes.data(), static_cast<std::size_t>(n)), ::sysconf(_SC_CLK_TCK));
  if (!cpu) {
    error = std::make_error_code(std::errc::invalid_argument);
  }
  return cpu;
}

CpuTime own_cpu_time() noexcept {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return from_timeval(usage.ru_utime) + from_timeval(usage.ru_stime);
}

}  // namespace eddy_load
