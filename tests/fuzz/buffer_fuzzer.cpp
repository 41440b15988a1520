// Fuzzes eddy::Buffer against a std::string model.
//
// The input is a header byte (which buffers use a BlockPool, and the pool's
// cache size) and then a sequence of operations, each an opcode byte and its
// arguments. Two buffers take part, `a` and `b`, so that append(Buffer&&)
// and the move operations see chains built both ways. After every operation
// both buffers are compared with their models: size(), empty(),
// block_count() == 0 exactly when empty, the bytes of every block (peek),
// front() and copy_out(); and every result (find, read_line, read_from ...)
// is compared with what the model says it must be.
//
// Bounds keep one input well under 10 ms: at most kMaxOps operations and
// at most kMaxModel bytes in a buffer (larger appends are cut down).

#include "fuzz_input.hpp"
#include "support/pipe.hpp"

#include <eddy/block_pool.hpp>
#include <eddy/buffer.hpp>

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using eddy::Buffer;
using eddy::fuzz::FuzzInput;

constexpr std::size_t kMaxOps = 160;
constexpr std::size_t kMaxModel = 96 * 1024;  // six blocks and a bit
constexpr std::size_t kMaxPattern = 40000;    // crosses two block boundaries

// One pipe for the whole process, both ends non-blocking, empty between
// inputs: read_from and write_to work on it.
eddy::test::Pipe& the_pipe() {
  static eddy::test::Pipe pipe;
  return pipe;
}

// Everything the pipe holds, read until EAGAIN.
std::string read_all(int fd) {
  std::string out;
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      out.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    EDDY_FUZZ_CHECK(n < 0 && errno == EAGAIN);
    return out;
  }
}

// `n` bytes of a pattern that differs per seed and per position, so that a
// byte copied to the wrong place shows.
std::string pattern(std::uint8_t seed, std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<char>(static_cast<std::uint8_t>(seed + i * 7 + (i >> 8)));
  }
  return out;
}

struct Tested {
  std::unique_ptr<Buffer> buffer;
  std::string model;
  eddy::BlockPool* pool;
};

void check(const Tested& t) {
  const Buffer& buffer = *t.buffer;
  EDDY_FUZZ_CHECK(buffer.size() == t.model.size());
  EDDY_FUZZ_CHECK(buffer.empty() == t.model.empty());
  EDDY_FUZZ_CHECK((buffer.block_count() == 0) == t.model.empty());
  EDDY_FUZZ_CHECK(buffer.pool() == t.pool);
  // Every block's bytes, head first; every block holds at least one byte.
  std::vector<iovec> blocks(buffer.block_count() + 1);
  const std::size_t used = buffer.peek(blocks);
  EDDY_FUZZ_CHECK(used == buffer.block_count());
  std::size_t offset = 0;
  for (std::size_t i = 0; i < used; ++i) {
    EDDY_FUZZ_CHECK(blocks[i].iov_len > 0);
    EDDY_FUZZ_CHECK(offset + blocks[i].iov_len <= t.model.size());
    EDDY_FUZZ_CHECK(std::memcmp(blocks[i].iov_base, t.model.data() + offset, blocks[i].iov_len) == 0);
    offset += blocks[i].iov_len;
  }
  EDDY_FUZZ_CHECK(offset == t.model.size());
  const std::string_view front = buffer.front();
  EDDY_FUZZ_CHECK(front.empty() == t.model.empty());
  if (used > 0) {
    EDDY_FUZZ_CHECK(front.data() == blocks[0].iov_base && front.size() == blocks[0].iov_len);
  }
}

// Appends at most what keeps the model under kMaxModel.
std::string_view capped(const Tested& t, std::string_view bytes) {
  const std::size_t room = kMaxModel > t.model.size() ? kMaxModel - t.model.size() : 0;
  return bytes.substr(0, std::min(room, bytes.size()));
}

// The position std::string::find gives, written out for Buffer::find's
// documented contract (an empty needle matches at from <= size()).
std::size_t model_find(const std::string& model, std::string_view needle, std::size_t from) {
  if (from > model.size()) {
    return Buffer::npos;
  }
  const std::size_t at = std::string_view(model).find(needle, from);
  return at == std::string_view::npos ? Buffer::npos : at;
}

void run_op(FuzzInput& in, Tested& a, Tested& b) {
  const std::uint8_t op = in.u8();
  // Most operations act on `a` or `b` as the opcode's top bit says.
  Tested& t = (op & 0x80U) != 0 ? b : a;
  Tested& other = (op & 0x80U) != 0 ? a : b;
  Buffer& buffer = *t.buffer;
  switch (op % 21) {
    case 0: {  // append bytes of the input
      const std::string_view bytes = capped(t, in.bytes(255));
      buffer.append(bytes);
      t.model.append(bytes);
      break;
    }
    case 1: {  // append a long pattern
      const std::uint8_t seed = in.u8();
      const std::string bytes(capped(t, pattern(seed, in.upto(kMaxPattern))));
      buffer.append(bytes.data(), bytes.size());
      t.model += bytes;
      break;
    }
    case 2: {  // prepend bytes of the input
      const std::string_view bytes = capped(t, in.bytes(255));
      buffer.prepend(bytes);
      t.model.insert(0, bytes);
      break;
    }
    case 3: {  // prepend a long pattern
      const std::uint8_t seed = in.u8();
      const std::string bytes(capped(t, pattern(seed, in.upto(kMaxPattern / 2))));
      buffer.prepend(bytes.data(), bytes.size());
      t.model.insert(0, bytes);
      break;
    }
    case 4: {  // append(Buffer&&): other's bytes move to the end of t
      if (t.model.size() + other.model.size() > 2 * kMaxModel) {
        other.buffer->clear();
        other.model.clear();
      }
      buffer.append(std::move(*other.buffer));
      t.model += other.model;
      other.model.clear();
      break;
    }
    case 5: {  // self-append does nothing
      Buffer& same = buffer;
      buffer.append(std::move(same));
      break;
    }
    case 6: {  // drain
      const std::size_t n = in.flag() ? in.upto(kMaxModel) : in.small(64);
      buffer.drain(n);
      t.model.erase(0, std::min(n, t.model.size()));
      break;
    }
    case 7: {  // remove
      const std::size_t n = in.flag() ? in.upto(kMaxModel) : in.small(64);
      std::string dest(n, '\0');
      const std::size_t got = buffer.remove(dest.data(), n);
      EDDY_FUZZ_CHECK(got == std::min(n, t.model.size()));
      EDDY_FUZZ_CHECK(std::memcmp(dest.data(), t.model.data(), got) == 0);
      t.model.erase(0, got);
      break;
    }
    case 8: {  // copy_out
      const std::size_t n = in.flag() ? in.upto(kMaxModel) : in.small(64);
      std::string dest(n, '\0');
      const std::size_t got = buffer.copy_out(dest.data(), n);
      EDDY_FUZZ_CHECK(got == std::min(n, t.model.size()));
      EDDY_FUZZ_CHECK(std::memcmp(dest.data(), t.model.data(), got) == 0);
      break;
    }
    case 9: {  // find a needle from the input
      const std::string needle(in.bytes(16));
      const std::size_t from = in.flag() ? in.upto(kMaxModel) : in.small(32);
      EDDY_FUZZ_CHECK(buffer.find(needle, from) == model_find(t.model, needle, from));
      break;
    }
    case 10: {  // find a needle cut from the buffer's own bytes (a hit, often across blocks)
      const std::size_t at = t.model.empty() ? 0 : in.upto(kMaxModel) % t.model.size();
      const std::string needle = t.model.substr(at, in.small(40));
      const std::size_t from = in.flag() ? 0 : in.upto(kMaxModel) % (t.model.size() + 2);
      EDDY_FUZZ_CHECK(buffer.find(needle, from) == model_find(t.model, needle, from));
      break;
    }
    case 11: {  // find_byte
      const char byte = static_cast<char>(in.u8());
      const std::size_t limit = in.flag() ? Buffer::npos : in.upto(kMaxModel);
      const std::size_t at = t.model.find(byte);
      const std::size_t expected = at != std::string::npos && at < limit ? at : Buffer::npos;
      EDDY_FUZZ_CHECK(buffer.find_byte(byte, limit) == expected);
      break;
    }
    case 12:
    case 13: {  // read_line, both overloads
      const std::size_t max_length = in.flag() ? Buffer::kDefaultMaxLine : in.upto(kMaxModel);
      const std::size_t lf = t.model.find('\n');
      const bool complete = lf != std::string::npos && lf < max_length;
      std::string expected;
      if (complete) {
        expected = t.model.substr(0, lf);
        if (!expected.empty() && expected.back() == '\r') {
          expected.pop_back();
        }
      }
      if (op % 21 == 12) {
        std::string line = "unchanged";
        const bool got = buffer.read_line(line, max_length);
        EDDY_FUZZ_CHECK(got == complete);
        EDDY_FUZZ_CHECK(line == (complete ? expected : std::string("unchanged")));
      } else {
        const std::optional<std::string> line = buffer.read_line(max_length);
        EDDY_FUZZ_CHECK(line.has_value() == complete);
        EDDY_FUZZ_CHECK(!complete || *line == expected);
      }
      if (complete) {
        t.model.erase(0, lf + 1);
      }
      break;
    }
    case 14: {  // contiguous
      const std::size_t n = in.flag() ? in.upto(kMaxModel) : in.small(64);
      const std::string_view view = buffer.contiguous(n);
      EDDY_FUZZ_CHECK(view.size() == std::min(n, t.model.size()));
      EDDY_FUZZ_CHECK(view == std::string_view(t.model).substr(0, view.size()));
      if (!view.empty()) {
        EDDY_FUZZ_CHECK(buffer.front().size() >= view.size());
      }
      break;
    }
    case 15: {  // reserve, fill, commit
      const std::size_t n = in.flag() ? in.upto(kMaxPattern) : in.small(64);
      const std::span<char> space = buffer.reserve(n);
      EDDY_FUZZ_CHECK(space.size() >= n);
      std::size_t k = in.upto(kMaxPattern) % (space.size() + 1);
      k = std::min(k, kMaxModel > t.model.size() ? kMaxModel - t.model.size() : 0);
      const std::string bytes = pattern(in.u8(), k);
      if (k > 0) {
        std::memcpy(space.data(), bytes.data(), k);  // an empty span's data() may be null
      }
      buffer.commit(k);
      t.model += bytes;
      break;
    }
    case 16: {  // peek into a few iovecs: a prefix of the bytes
      std::array<iovec, 3> some{};
      const std::size_t count = in.small(some.size());
      const std::size_t used = buffer.peek(std::span<iovec>(some.data(), count));
      EDDY_FUZZ_CHECK(used == std::min(count, buffer.block_count()));
      std::size_t offset = 0;
      for (std::size_t i = 0; i < used; ++i) {
        EDDY_FUZZ_CHECK(offset + some[i].iov_len <= t.model.size());
        EDDY_FUZZ_CHECK(std::memcmp(some[i].iov_base, t.model.data() + offset, some[i].iov_len) == 0);
        offset += some[i].iov_len;
      }
      break;
    }
    case 17: {  // clear
      buffer.clear();
      t.model.clear();
      break;
    }
    case 18: {  // read_from a pipe that holds bytes written from the input
      const eddy::test::Pipe& pipe = the_pipe();
      const std::uint8_t seed = in.u8();
      const std::size_t length = in.flag() ? in.upto(kMaxPattern) : in.small(200);
      const std::string bytes = pattern(seed, length);
      const ssize_t put = bytes.empty() ? 0 : ::write(pipe.write_fd(), bytes.data(), bytes.size());
      EDDY_FUZZ_CHECK(put >= 0);
      const std::string in_pipe = bytes.substr(0, static_cast<std::size_t>(put));
      std::size_t max_bytes = in.flag() ? Buffer::kDefaultReadSize : in.upto(kMaxPattern);
      max_bytes = std::min(max_bytes, kMaxModel > t.model.size() ? kMaxModel - t.model.size() : 0);
      const eddy::IoResult result = buffer.read_from(pipe.read_fd(), max_bytes);
      EDDY_FUZZ_CHECK(!result.error && !result.eof);
      EDDY_FUZZ_CHECK(result.bytes <= max_bytes && result.bytes <= in_pipe.size());
      // A pipe gives a read all it holds up to what the read offers.
      EDDY_FUZZ_CHECK((result.bytes == 0) == (max_bytes == 0 || in_pipe.empty()));
      t.model.append(in_pipe, 0, result.bytes);
      // What the buffer did not take is still in the pipe, in order.
      EDDY_FUZZ_CHECK(read_all(pipe.read_fd()) == in_pipe.substr(result.bytes));
      break;
    }
    case 19: {  // write_to a pipe, then read it back
      const eddy::test::Pipe& pipe = the_pipe();
      const std::size_t max_bytes = in.flag() ? SIZE_MAX : in.upto(kMaxModel);
      const eddy::IoResult result = buffer.write_to(pipe.write_fd(), max_bytes);
      EDDY_FUZZ_CHECK(!result.error && !result.eof);
      EDDY_FUZZ_CHECK(result.bytes <= std::min(max_bytes, t.model.size()));
      EDDY_FUZZ_CHECK((result.bytes == 0) == (max_bytes == 0 || t.model.empty()));
      EDDY_FUZZ_CHECK(read_all(pipe.read_fd()) == std::string_view(t.model).substr(0, result.bytes));
      t.model.erase(0, result.bytes);
      break;
    }
    case 20: {  // move construction and move assignment
      if (in.flag()) {
        Buffer moved(std::move(buffer));
        EDDY_FUZZ_CHECK(buffer.empty() && buffer.block_count() == 0);
        buffer = std::move(moved);
      } else {
        // t takes other's blocks and pool; other is left empty with its pool.
        buffer = std::move(*other.buffer);
        t.model = std::move(other.model);
        other.model.clear();
        t.pool = other.pool;
        EDDY_FUZZ_CHECK(other.buffer->pool() == other.pool);
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const std::uint8_t header = in.u8();
  // A small cache makes blocks go back to operator delete often, a large
  // one keeps them: both paths of BlockPool::release.
  eddy::BlockPool pool((header & 0x04U) != 0 ? std::size_t{0} : std::size_t{1024 * 1024});
  eddy::BlockPool second_pool;
  auto make = [&](unsigned bits) -> Tested {
    switch (bits & 3U) {
      case 0:
        return Tested{std::make_unique<Buffer>(), {}, nullptr};
      case 1:
        return Tested{std::make_unique<Buffer>(pool), {}, &pool};
      case 2:
        return Tested{std::make_unique<Buffer>(second_pool), {}, &second_pool};
      default:
        return Tested{std::make_unique<Buffer>(pool), {}, &pool};
    }
  };
  Tested a = make(header);
  Tested b = make(static_cast<unsigned>(header >> 4));
  for (std::size_t ops = 0; ops < kMaxOps && !in.empty(); ++ops) {
    run_op(in, a, b);
    check(a);
    check(b);
  }
  // Buffers go before their pools.
  a.buffer.reset();
  b.buffer.reset();
  return 0;
}
