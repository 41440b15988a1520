#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace eddy::test {

// `size` pseudo-random bytes from `seed` (reproducible), with a run of 64
// zero bytes every 4 KiB: binary data that breaks anything treating it as a
// C string, and that makes a byte moved or lost visible.
std::string random_bytes(std::size_t size, std::uint32_t seed);

// Index of the first byte where `a` and `b` differ, or the shorter length
// when one is a prefix of the other; npos when they are equal. For failure
// messages that say where a stream went wrong rather than dumping megabytes.
std::size_t first_difference(const std::string& a, const std::string& b);

}  // namespace eddy::test
