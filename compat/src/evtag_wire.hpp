#pragma once

// The bytes of libevent 2.1's tagging format (event2/tag.h), apart from
// any evbuffer.
//
// A record:   tag | length | payload (length bytes)
//
// A tag is base 128, lowest 7 bits first, the high bit set on every byte but
// the last; it fits 32 bits, so at most 5 bytes, the fifth at most 0x0f:
//
//   0x7f -> 7f      0x80 -> 80 01      0xffffffff -> ff ff ff ff 0f
//
// An integer (a length, or the payload of evtag_marshal_int*) is a count of
// nibbles then the nibbles, lowest first, packed as below: the high nibble
// of byte 0 holds count - 1 (0 counts as one nibble), n0 is the lowest.
//
//   byte:     0          1          2
//           +----+----+----+----+----+----+--
//           |c-1 | n0 | n1 | n2 | n3 | n4 | ..      1 + count/2 bytes
//           +----+----+----+----+----+----+--
//
//   0 -> 00    0x7f -> 1f 70    0x1000 -> 30 00 10    2^64-1 -> 9 bytes

#include <cstddef>
#include <cstdint>

namespace eddy::compat::evtag {

inline constexpr std::size_t kMaxTagSize = 5;
inline constexpr std::size_t kMaxIntSize = 9;

// Each writes to `out`, which has room for the largest encoding, and
// returns the number of bytes written.
std::size_t encode_tag(std::uint32_t tag, unsigned char* out) noexcept;
std::size_t encode_int(std::uint64_t number, unsigned char* out) noexcept;

// Each reads from the `size` bytes at `bytes` and returns the encoding's
// size, or 0 when it is cut short or does not fit; the value is stored only
// on success.
std::size_t decode_tag(const unsigned char* bytes, std::size_t size, std::uint32_t& tag) noexcept;
std::size_t decode_int(const unsigned char* bytes, std::size_t size, std::uint64_t& number) noexcept;
// As libevent, a 32-bit integer has at most 8 nibbles: a 9-nibble one is
// refused even when its top nibble is 0.
std::size_t decode_int32(const unsigned char* bytes, std::size_t size, std::uint32_t& number) noexcept;

}  // namespace eddy::compat::evtag
