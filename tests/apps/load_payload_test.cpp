// eddy-load's message bytes: generated and verified again from the message
// id alone; every flipped byte is found, at its offset, whether the echo
// arrives whole or in pieces.

#include "payload.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>

namespace eddy_load {
namespace {

std::string message(const Payload& payload, MessageId id) {
  std::string bytes(payload.message_size(), '\0');
  payload.fill(id, bytes.data());
  return bytes;
}

class PayloadSizes : public ::testing::TestWithParam<std::size_t> {};

TEST_P(PayloadSizes, AFilledMessageVerifies) {
  const Payload payload(GetParam());
  for (const MessageId id : {MessageId{0, 0}, MessageId{7, 1}, MessageId{49, 123456789}, MessageId{~0U, ~0ULL}}) {
    const std::string bytes = message(payload, id);
    EXPECT_EQ(payload.verify(id, 0, bytes), Payload::npos);
    for (std::size_t i = 0; i < bytes.size(); i += 1 + bytes.size() / 97) {
      ASSERT_EQ(payload.expected_byte(id, i), bytes[i]) << i;
    }
  }
}

TEST_P(PayloadSizes, AMessageVerifiesInArbitraryPieces) {
  const Payload payload(GetParam());
  const MessageId id{3, 42};
  const std::string bytes = message(payload, id);
  std::mt19937 generator(5);
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const std::size_t piece = std::min<std::size_t>(bytes.size() - offset, 1 + generator() % 23);
    ASSERT_EQ(payload.verify(id, offset, std::string_view(bytes).substr(offset, piece)), Payload::npos) << offset;
    offset += piece;
  }
}

TEST_P(PayloadSizes, AFlippedByteIsFoundAtItsOffsetWholeOrInPieces) {
  const Payload payload(GetParam());
  const MessageId id{11, 977};
  const std::string good = message(payload, id);
  const std::size_t step = good.size() > 4096 ? good.size() / 1024 : 1;
  for (std::size_t at = 0; at < good.size(); at += step) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    ASSERT_EQ(payload.verify(id, 0, bad), at);
    // The piece that holds the byte, from a few bytes before it.
    const std::size_t from = at >= 5 ? at - 5 : 0;
    ASSERT_EQ(payload.verify(id, from, std::string_view(bad).substr(from)), at - from);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, PayloadSizes, ::testing::Values(1, 5, 11, 12, 13, 64, 1000, 16384, 70000));

TEST(Payload, NeighbouringMessagesDiffer) {
  const Payload payload(64);
  const std::string base = message(payload, {5, 100});
  EXPECT_NE(message(payload, {5, 101}), base);
  EXPECT_NE(message(payload, {6, 100}), base);
  // Not only in the header: a stream shifted by a whole message would pass
  // a check of headers alone.
  EXPECT_NE(message(payload, {5, 101}).substr(Payload::kHeaderSize), base.substr(Payload::kHeaderSize));
  EXPECT_NE(payload.verify({5, 101}, 0, base), Payload::npos);
}

TEST(Payload, ABytesShiftedByOneIsFound) {
  const Payload payload(64);
  const std::string first = message(payload, {0, 0});
  const std::string second = message(payload, {0, 1});
  const std::string stream = first + second;
  // One byte lost in the middle of the first message.
  const std::string shifted = stream.substr(0, 30) + stream.substr(31);
  EXPECT_NE(payload.verify({0, 0}, 0, std::string_view(shifted).substr(0, 64)), Payload::npos);
}

TEST(Payload, MessagesUseEveryByteValueIncludingZero) {
  const Payload payload(64);
  std::array<bool, 256> seen{};
  for (std::uint64_t sequence = 0; sequence < 200; ++sequence) {
    for (const char byte : message(payload, {1, sequence})) {
      seen[static_cast<unsigned char>(byte)] = true;
    }
  }
  for (std::size_t value = 0; value < seen.size(); ++value) {
    EXPECT_TRUE(seen[value]) << "byte value " << value << " never appears";
  }
}

TEST(Payload, TheHeaderCarriesTheIdLittleEndian) {
  const Payload payload(32);
  const std::string bytes = message(payload, {0x01020304, 0x1122334455667788ULL});
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x04\x03\x02\x01", 4));
  EXPECT_EQ(bytes.substr(4, 8), std::string("\x88\x77\x66\x55\x44\x33\x22\x11", 8));
  const std::optional<MessageId> id = Payload::read_id(bytes);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->connection, 0x01020304u);
  EXPECT_EQ(id->sequence, 0x1122334455667788ULL);
  EXPECT_FALSE(Payload::read_id(std::string_view(bytes).substr(0, 11)));
}

}  // namespace
}  // namespace eddy_load
