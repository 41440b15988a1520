#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace eddy_load {

// Identifies one message: which connection sent it, and its place in that
// connection's sequence (0, 1, 2, ...).
struct MessageId {
  std::uint32_t connection = 0;
  std::uint64_t sequence = 0;
};

// The bytes of every message, generated again to verify the echo rather
// than stored: constant memory whatever the depth or the run's length.
//
//   offset  0          4                    12                       size
//           [connection | sequence           | fill ....................]
//            uint32 LE   uint64 LE            table_[start .. start + size - 12)
//
// The fill is a slice of one fixed table of pseudo-random bytes (every byte
// value, zeros included), starting at an offset hashed from the message id,
// so that consecutive messages differ and a byte echoed at the wrong place -
// from another message, another connection, or shifted by a lost byte - does
// not match. Generating and checking a message is then a memcpy and a memcmp,
// cheap enough for the generator never to be the bottleneck. A message
// shorter than 12 bytes is the first `size` bytes of this layout.
//
// Immutable after construction: one Payload is shared by all threads.
class Payload {
 public:
  static constexpr std::size_t kHeaderSize = 12;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  explicit Payload(std::size_t message_size);

  std::size_t message_size() const noexcept { return size_; }

  // Writes message `id` (message_size() bytes) to `out`.
  void fill(MessageId id, char* out) const noexcept;

  // Compares `received` with bytes [offset, offset + received.size()) of
  // message `id`. Returns the index in `received` of the first byte that
  // differs, or npos when all match. offset + received.size() must not
  // exceed message_size().
  std::size_t verify(MessageId id, std::size_t offset, std::string_view received) const noexcept;

  // Byte `offset` of message `id`, for reporting what was expected.
  char expected_byte(MessageId id, std::size_t offset) const noexcept;

  // The id in a whole message's header (UDP, where replies can arrive out of
  // order); nullopt when `message` is shorter than the header.
  static std::optional<MessageId> read_id(std::string_view message) noexcept;

 private:
  // Distinct offsets before the table repeats: a prime, so that offsets do
  // not fall into step with power-of-two message sizes.
  static constexpr std::size_t kPeriod = 65521;

  std::size_t fill_start(MessageId id) const noexcept;

  std::size_t size_;
  std::vector<char> table_;  // kPeriod + size_ bytes
};

}  // namespace eddy_load
