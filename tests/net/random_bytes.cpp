#include "net/random_bytes.hpp"

#include <algorithm>
#include <cstring>
#include <random>

namespace eddy::test {

std::string random_bytes(std::size_t size, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; i += 4) {
    const std::uint32_t word = static_cast<std::uint32_t>(random());
    std::memcpy(bytes.data() + i, &word, std::min<std::size_t>(4, size - i));
  }
  for (std::size_t block = 0; block < size; block += 4096) {
    std::memset(bytes.data() + block, 0, std::min<std::size_t>(64, size - block));
  }
  return bytes;
}

std::size_t first_difference(const std::string& a, const std::string& b) {
  const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  if (ia == a.end() && ib == b.end()) {
    return std::string::npos;
  }
  return static_cast<std::size_t>(ia - a.begin());
}

}  // namespace eddy::test
