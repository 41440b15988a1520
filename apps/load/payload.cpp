#include "payload.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace eddy_load {

namespace {

// splitmix64 (Vigna): a fast, well-mixed 64-bit sequence. Used for the
// fixed table and to hash a message id into a table offset.
std::uint64_t mix(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

using Header = std::array<char, Payload::kHeaderSize>;

// Little-endian whatever the host, so that a capture reads the same on any
// machine.
Header make_header(MessageId id) noexcept {
  Header header{};
  for (std::size_t i = 0; i < 4; ++i) {
    header[i] = static_cast<char>((id.connection >> (8 * i)) & 0xFF);
  }
  for (std::size_t i = 0; i < 8; ++i) {
    header[4 + i] = static_cast<char>((id.sequence >> (8 * i)) & 0xFF);
  }
  return header;
}

std::size_t first_difference(const char* expected, const char* actual, std::size_t n) noexcept {
  if (std::memcmp(expected, actual, n) == 0) {
    return Payload::npos;
  }
  return static_cast<std::size_t>(std::mismatch(expected, expected + n, actual).first - expected);
}

}  // namespace

Payload::Payload(std::size_t message_size) : size_(message_size), table_(kPeriod + message_size) {
  std::uint64_t state = 0x656464792D6C6F61ULL;  // "eddy-loa": any fixed seed
  for (std::size_t i = 0; i < table_.size(); i += 8) {
    const std::uint64_t word = mix(state++);
    for (std::size_t b = 0; b < 8 && i + b < table_.size(); ++b) {
      table_[i + b] = static_cast<char>((word >> (8 * b)) & 0xFF);
    }
  }
}

std::size_t Payload::fill_start(MessageId id) const noexcept {
  return mix((std::uint64_t{id.connection} << 40) ^ id.sequence) % kPeriod;
}

void Payload::fill(MessageId id, char* out) const noexcept {
  const Header header = make_header(id);
  const std::size_t head = std::min(size_, kHeaderSize);
  std::memcpy(out, header.data(), head);
  if (size_ > kHeaderSize) {
    std::memcpy(out + kHeaderSize, table_.data() + fill_start(id), size_ - kHeaderSize);
  }
}

std::size_t Payload::verify(MessageId id, std::size_t offset, std::string_view received) const noexcept {
  std::size_t checked = 0;
  if (offset < kHeaderSize && !received.empty()) {
    const Header header = make_header(id);
    const std::size_t n = std::min(received.size(), kHeaderSize - offset);
    const std::size_t at = first_difference(header.data() + offset, received.data(), n);
    if (at != npos) {
      return at;
    }
    checked = n;
  }
  if (checked < received.size()) {
    const char* expected = table_.data() + fill_start(id) + (offset + checked - kHeaderSize);
    const std::size_t at = first_difference(expected, received.data() + checked, received.size() - checked);
    if (at != npos) {
      return checked + at;
    }
  }
  return npos;
}

char Payload::expected_byte(MessageId id, std::size_t offset) const noexcept {
  if (offset < kHeaderSize) {
    return make_header(id)[offset];
  }
  return table_[fill_start(id) + offset - kHeaderSize];
}

std::optional<MessageId> Payload::read_id(std::string_view message) noexcept {
  if (message.size() < kHeaderSize) {
    return std::nullopt;
  }
  MessageId id;
  for (std::size_t i = 0; i < 4; ++i) {
    id.connection |= std::uint32_t{static_cast<unsigned char>(message[i])} << (8 * i);
  }
  for (std::size_t i = 0; i < 8; ++i) {
    id.sequence |= std::uint64_t{static_cast<unsigned char>(message[4 + i])} << (8 * i);
  }
  return id;
}

}  // namespace eddy_load
