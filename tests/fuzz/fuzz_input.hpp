#pragma once

// Shared by the fuzzers in this directory: a reader that turns libFuzzer's
// input into small decisions, and a check that aborts with a message, which
// libFuzzer (and the replay main) report as a crash with the input saved.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// Aborts when `condition` is false, naming the check. Unlike assert() it
// stays on in release builds: the replay tests run there too.
#define EDDY_FUZZ_CHECK(condition)                                                             \
  do {                                                                                         \
    if (!(condition)) {                                                                        \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (false)

namespace eddy::fuzz {

// Reads the input front to back. Once it is used up every read returns
// zero, so a fuzzer decides what to do from whatever prefix it got.
class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

  bool empty() const noexcept { return pos_ >= size_; }
  std::size_t remaining() const noexcept { return size_ - pos_; }

  std::uint8_t u8() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint16_t u16() noexcept {
    const auto high = u8();
    return static_cast<std::uint16_t>((high << 8) | u8());
  }
  bool flag() noexcept { return (u8() & 1U) != 0; }
  // A value in [0, min(bound, 65535)], from two bytes.
  std::size_t upto(std::size_t bound) noexcept { return bound == 0 ? 0 : u16() % (bound + 1); }
  // A value in [0, min(bound, 255)], from one byte: for small counts.
  std::size_t small(std::size_t bound) noexcept { return bound == 0 ? 0 : u8() % (bound + 1); }

  // Up to max_length bytes of the input itself, as given (length first).
  std::string_view bytes(std::size_t max_length) noexcept {
    std::size_t n = small(max_length < 255 ? max_length : 255);
    if (n > remaining()) {
      n = remaining();
    }
    const std::string_view out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace eddy::fuzz
