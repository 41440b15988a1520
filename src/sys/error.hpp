#pragma once

#include <cerrno>
#include <string>
#include <system_error>

namespace eddy::sys {

// The one place where errno becomes a std::error_code.
inline std::error_code last_error() noexcept { return {errno, std::generic_category()}; }
inline std::error_code make_error(int errnum) noexcept { return {errnum, std::generic_category()}; }

// Throws std::system_error for errno with a message naming the operation:
// "eventfd: Too many open files".
[[noreturn]] void throw_last_error(const std::string& what);

}  // namespace eddy::sys
