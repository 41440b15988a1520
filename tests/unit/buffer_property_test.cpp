// Property test: random sequences of Buffer operations, checked against a
// std::string holding what the buffer should hold. After every step the
// size and the whole content (through peek() and through copy_out()) must
// match, and an empty buffer must hold no block.
//
// Sizes are drawn to hit block boundaries on purpose (multiples of 16 KiB,
// plus or minus a few bytes), and bytes from a small alphabet with '\n',
// '\r' and '\0' so that find() and read_line() often succeed.
//
// CI runs kDefaultSteps steps for each of a few fixed seeds. For a longer
// run set EDDY_PROPERTY_STEPS, e.g.
//   EDDY_PROPERTY_STEPS=200000 ./buffer_property_test
// A failure names the seed, the step and the last operation.
#include <eddy/block_pool.hpp>
#include <eddy/buffer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using eddy::BlockPool;
using eddy::Buffer;

constexpr std::size_t kBlock = BlockPool::kBlockSize;
constexpr std::size_t kDefaultSteps = 2000;
// Above this the test prefers draining, so that checking every step stays
// cheap.
constexpr std::size_t kSoftLimit = 512 * 1024;

std::size_t steps_to_run() {
  const char* value = std::getenv("EDDY_PROPERTY_STEPS");
  if (value == nullptr || *value == '\0') {
    return kDefaultSteps;
  }
  return static_cast<std::size_t>(std::strtoull(value, nullptr, 10));
}

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  std::size_t below(std::size_t n) {  // [0, n)
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(engine_);
  }
  bool chance(std::size_t percent) { return below(100) < percent; }

  // 0..70 000, with block boundaries (k * 16 KiB +- 3) a third of the time
  // and small sizes another third.
  std::size_t size() {
    switch (below(3)) {
      case 0: {
        const std::size_t boundary = (1 + below(4)) * kBlock;
        return boundary - 3 + below(7);
      }
      case 1:
        return below(64);
      default:
        return below(70001);
    }
  }

  // Bytes for the buffer. Half the time mostly letters with a rare CR or LF
  // (long lines), else a dense mix of letters, CR, LF, NUL and any byte.
  // 16 random bits per byte, four bytes per draw: a Debug build spends its
  // time in the buffer, not here.
  std::string bytes(std::size_t n) {
    static constexpr char kAlphabet[8] = {'a', 'b', 'c', '\n', '\r', '\0', 'a', 'b'};
    std::string out(n, '\0');
    const bool long_lines = chance(50);
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (i % 4 == 0) {
        bits = engine_();
      }
      const auto low = static_cast<unsigned>(bits & 0xff);
      const auto high = static_cast<unsigned>((bits >> 8) & 0xff);
      bits >>= 16;
      if (long_lines) {
        out[i] = high == 0 ? '\n' : high == 1 ? '\r' : static_cast<char>('a' + low % 3);
      } else {
        out[i] = high < 205 ? kAlphabet[low % 8] : static_cast<char>(low);
      }
    }
    return out;
  }

 private:
  std::mt19937_64 engine_;
};

std::string through_peek(const Buffer& buffer) {
  std::vector<iovec> iov(buffer.block_count() + 1);
  const std::size_t used = buffer.peek(iov);
  std::string out;
  for (std::size_t i = 0; i < used; ++i) {
    out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  }
  return out;
}

std::string through_copy_out(const Buffer& buffer) {
  std::string out(buffer.size(), '\0');
  out.resize(buffer.copy_out(out.data(), out.size()));
  return out;
}

// The line the model yields, if read_line(max_length) should succeed.
bool model_read_line(std::string& model, std::size_t max_length, std::string& line) {
  const std::size_t lf = model.find('\n');
  if (lf == std::string::npos || lf >= max_length) {
    return false;
  }
  line = model.substr(0, lf);
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  model.erase(0, lf + 1);
  return true;
}

class ModelCheck {
 public:
  ModelCheck(std::uint64_t seed, BlockPool& pool, BlockPool& other_pool)
      : random_(seed), buffer_(pool), pool_(pool), other_pool_(other_pool) {}

  // One random operation; returns its description.
  std::string step() {
    const bool big = model_.size() > kSoftLimit;
    switch (random_.below(big ? 14 : 12)) {
      case 0:
      case 1: {
        const std::string data = random_.bytes(random_.size());
        buffer_.append(data);
        model_ += data;
        return "append " + std::to_string(data.size());
      }
      case 2: {
        Buffer other = make_other();
        const std::string data = random_.bytes(random_.size());
        other.append(data);
        if (random_.chance(30)) {
          const std::size_t n = random_.below(data.size() + 1);
          other.drain(n);
          model_ += data.substr(n);
        } else {
          model_ += data;
        }
        if (random_.chance(10)) {
          (void)other.reserve(random_.below(2 * kBlock));  // abandoned: may leave an empty tail block
        }
        buffer_.append(std::move(other));
        EXPECT_EQ(other.block_count(), 0U);  // NOLINT(bugprone-use-after-move)
        return "append(Buffer&&)";
      }
      case 3: {
        const std::string data = random_.bytes(random_.chance(70) ? random_.below(64) : random_.size());
        buffer_.prepend(data);
        model_.insert(0, data);
        return "prepend " + std::to_string(data.size());
      }
      case 4:
      case 12:
      case 13: {
        const std::size_t n = random_.chance(10) ? model_.size() + random_.below(10) : random_.size();
        buffer_.drain(n);
        model_.erase(0, std::min(n, model_.size()));
        return "drain " + std::to_string(n);
      }
      case 5: {
        const std::size_t n = random_.size();
        std::string out(n, '\0');
        const std::size_t removed = buffer_.remove(out.data(), n);
        EXPECT_EQ(removed, std::min(n, model_.size()));
        EXPECT_EQ(out.substr(0, removed), model_.substr(0, removed));
        model_.erase(0, removed);
        return "remove " + std::to_string(n);
      }
      case 6: {
        const std::size_t n = random_.size();
        std::string out(n, '\0');
        const std::size_t copied = buffer_.copy_out(out.data(), n);
        EXPECT_EQ(copied, std::min(n, model_.size()));
        EXPECT_EQ(out.substr(0, copied), model_.substr(0, copied));
        return "copy_out " + std::to_string(n);
      }
      case 7: {
        const std::size_t n = random_.chance(50) ? random_.size() : random_.below(40000);
        const std::string_view view = buffer_.contiguous(n);
        EXPECT_EQ(view, std::string_view(model_).substr(0, std::min(n, model_.size())));
        return "contiguous " + std::to_string(n);
      }
      case 8:
        return find();
      case 9: {
        const std::size_t max_length = random_.chance(20) ? random_.below(100) : Buffer::kDefaultMaxLine;
        std::string expected;
        const bool expect_line = model_read_line(model_, max_length, expected);
        std::string line = "previous";
        const bool got_line = buffer_.read_line(line, max_length);
        EXPECT_EQ(got_line, expect_line);
        if (got_line && expect_line) {
          EXPECT_EQ(line, expected);
        }
        return "read_line " + std::to_string(max_length);
      }
      case 10: {
        const std::size_t n = random_.chance(80) ? random_.below(kBlock + 1) : random_.size();
        const std::span<char> space = buffer_.reserve(n);
        EXPECT_GE(space.size(), n);
        const std::size_t commit = random_.below(space.size() + 1);
        const std::string data = random_.bytes(commit);
        if (commit > 0) {  // reserve(0) on an empty buffer gives an empty span: no pointer to copy to
          std::memcpy(space.data(), data.data(), commit);
        }
        buffer_.commit(commit);
        model_ += data;
        return "reserve " + std::to_string(n) + " commit " + std::to_string(commit);
      }
      default: {
        const std::string_view front = buffer_.front();
        EXPECT_EQ(front, std::string_view(model_).substr(0, front.size()));
        EXPECT_EQ(front.empty(), model_.empty());
        return "front";
      }
    }
  }

  void check(const std::string& operation) {
    SCOPED_TRACE(operation);
    ASSERT_EQ(buffer_.size(), model_.size());
    ASSERT_EQ(buffer_.empty(), model_.empty());
    ASSERT_EQ(buffer_.block_count() == 0, model_.empty()) << "an empty buffer holds no block";
    ASSERT_TRUE(through_copy_out(buffer_) == model_) << "copy_out differs from the model";
    ASSERT_TRUE(through_peek(buffer_) == model_) << "peek differs from the model";
  }

 private:
  // A second buffer on another pool, the same pool, or none.
  Buffer make_other() {
    switch (random_.below(3)) {
      case 0:
        return Buffer(pool_);
      case 1:
        return Buffer(other_pool_);
      default:
        return Buffer();
    }
  }

  std::string find() {
    std::string needle;
    if (!model_.empty() && random_.chance(70)) {
      const std::size_t at = random_.below(model_.size());
      const std::size_t length = random_.chance(90) ? 1 + random_.below(20) : 1 + random_.below(2 * kBlock);
      needle = model_.substr(at, length);
    } else {
      needle = random_.bytes(random_.below(8));
    }
    const std::size_t from = random_.chance(50) ? 0 : random_.below(model_.size() + 2);
    const std::size_t expected = from > model_.size() ? std::string::npos : model_.find(needle, from);
    EXPECT_EQ(buffer_.find(needle, from), expected == std::string::npos ? Buffer::npos : expected);
    return "find " + std::to_string(needle.size()) + " from " + std::to_string(from);
  }

  Random random_;
  Buffer buffer_;
  BlockPool& pool_;
  BlockPool& other_pool_;
  std::string model_;
};

class BufferProperty : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(BufferProperty, MatchesAStringModelOverRandomOperations) {
  const std::uint64_t seed = GetParam();
  const std::size_t steps = steps_to_run();
  BlockPool pool;
  BlockPool other_pool(64 * 1024);  // a small cache: blocks beyond it are freed
  ModelCheck run(seed, pool, other_pool);
  for (std::size_t i = 0; i < steps; ++i) {
    SCOPED_TRACE("seed " + std::to_string(seed) + ", step " + std::to_string(i));
    const std::string operation = run.step();
    run.check(operation);
    if (::testing::Test::HasFailure()) {
      return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(FixedSeeds, BufferProperty, ::testing::Values(1U, 2U, 3U, 20240601U));

}  // namespace
