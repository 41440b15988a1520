// The tagging format's bytes; evtag_wire.hpp draws them.
#include "evtag_wire.hpp"

#include <cstring>

namespace eddy::compat::evtag {

namespace {

std::size_t decode_nibbles(const unsigned char* bytes, std::size_t size, std::uint64_t& number,
                           std::size_t max_nibbles) noexcept {
  if (size == 0) {
    return 0;
  }
  const std::size_t count = (bytes[0] >> 4) + 1u;
  const std::size_t used = 1 + count / 2;
  if (count > max_nibbles || used > size) {
    return 0;
  }
  std::uint64_t value = 0;
  for (std::size_t i = count; i-- > 0;) {
    const unsigned char byte = bytes[(i + 1) / 2];
    value = (value << 4) | (i % 2 == 0 ? byte & 0x0fu : byte >> 4);
  }
  number = value;
  return used;
}

}  // namespace

std::size_t encode_tag(std::uint32_t tag, unsigned char* out) noexcept {
  std::size_t n = 0;
  do {
    auto byte = static_cast<unsigned char>(tag & 0x7f);
    tag >>= 7;
    if (tag != 0) {
      byte |= 0x80;
    }
    out[n++] = byte;
  } while (tag != 0);
  return n;
}

std::size_t encode_int(std::uint64_t number, unsigned char* out) noexcept {
  std::size_t nibbles = 0;
  for (std::uint64_t rest = number; rest != 0; rest >>= 4) {
    ++nibbles;
  }
  const std::size_t count = nibbles == 0 ? 1 : nibbles;
  const std::size_t size = 1 + count / 2;
  std::memset(out, 0, size);
  out[0] = static_cast<unsigned char>((count - 1) << 4);
  for (std::size_t i = 0; i < count; ++i) {
    const auto nibble = static_cast<unsigned char>((number >> (4 * i)) & 0x0f);
    // Nibble i sits in byte (i + 1) / 2: the low half for even i.
    out[(i + 1) / 2] |= static_cast<unsigned char>(i % 2 == 0 ? nibble : nibble << 4);
  }
  return size;
}

std::size_t decode_tag(const unsigned char* bytes, std::size_t size, std::uint32_t& tag) noexcept {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < kMaxTagSize && i < size; ++i) {
    const unsigned char byte = bytes[i];
    if (i == kMaxTagSize - 1 && (byte & 0x7f) > 0x0f) {
      return 0;
    }
    value |= static_cast<std::uint32_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      tag = value;
      return i + 1;
    }
  }
  return 0;
}

std::size_t decode_int(const unsigned char* bytes, std::size_t size, std::uint64_t& number) noexcept {
  return decode_nibbles(bytes, size, number, 2 * sizeof(std::uint64_t));
}

std::size_t decode_int32(const unsigned char* bytes, std::size_t size, std::uint32_t& number) noexcept {
  std::uint64_t value = 0;
  const std::size_t used = decode_nibbles(bytes, size, value, 2 * sizeof(std::uint32_t));
  if (used != 0) {
    number = static_cast<std::uint32_t>(value);
  }
  return used;
}

}  // namespace eddy::compat::evtag
