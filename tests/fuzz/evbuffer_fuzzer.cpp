// Fuzzes the compat layer's evbuffer (libevent's <event2/buffer.h> on eddy)
// against a std::string model of what libevent 2.1 documents.
//
// Real libevent's evbuffer cannot be the oracle in this process: its symbols
// have the same names as the compat layer's. The compat layer is compared
// with the real library by the differential suite (tests/compat/
// diff_buffered: fixed cases and a seeded random sequence, run against
// both); this fuzzer takes the model instead and lets coverage find the
// sequences those miss.
//
// Two buffers, `a` and `b`, so that moves between them (add_buffer,
// remove_buffer, prepend_buffer) see chains built both ways. The input is a
// sequence of operations, each an opcode byte and its arguments; after every
// one both buffers are compared with their models: the length, the bytes
// (copyout of everything, and the extents evbuffer_peek reports), and every
// result the operation returned.

#include "fuzz_input.hpp"
#include "support/pipe.hpp"

#include <event2/buffer.h>

#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

using eddy::fuzz::FuzzInput;

constexpr std::size_t kMaxOps = 64;
constexpr std::size_t kMaxModel = 256 * 1024;  // bytes in one buffer; larger adds are cut down

// Owns an evbuffer.
class Evbuffer {
 public:
  Evbuffer() : buffer_(evbuffer_new()) { EDDY_FUZZ_CHECK(buffer_ != nullptr); }
  ~Evbuffer() { evbuffer_free(buffer_); }
  Evbuffer(const Evbuffer&) = delete;
  Evbuffer& operator=(const Evbuffer&) = delete;
  evbuffer* get() const noexcept { return buffer_; }

 private:
  evbuffer* buffer_;
};

std::string contents(evbuffer* buffer) {
  std::string out(evbuffer_get_length(buffer), '\0');
  const ev_ssize_t copied = evbuffer_copyout(buffer, out.data(), out.size());
  EDDY_FUZZ_CHECK(copied == static_cast<ev_ssize_t>(out.size()));
  return out;
}

void check_matches(evbuffer* buffer, const std::string& model) {
  EDDY_FUZZ_CHECK(evbuffer_get_length(buffer) == model.size());
  EDDY_FUZZ_CHECK(contents(buffer) == model);
  // The extents peek reports cover the bytes in order, whatever the chain.
  std::array<evbuffer_iovec, 8> extents{};
  const int needed = evbuffer_peek(buffer, -1, nullptr, extents.data(), static_cast<int>(extents.size()));
  EDDY_FUZZ_CHECK(needed >= 0);
  EDDY_FUZZ_CHECK((needed == 0) == model.empty());
  std::string seen;
  for (int i = 0; i < std::min<int>(needed, static_cast<int>(extents.size())); ++i) {
    seen.append(static_cast<const char*>(extents[static_cast<std::size_t>(i)].iov_base),
                extents[static_cast<std::size_t>(i)].iov_len);
  }
  EDDY_FUZZ_CHECK(model.compare(0, seen.size(), seen) == 0);
  // Asked for everything (-1), libevent stops counting once the vector is
  // full and answers its size: only an answer below it says "all of it".
  if (needed < static_cast<int>(extents.size())) {
    EDDY_FUZZ_CHECK(seen.size() == model.size());
  }
}

// Where a line ends under `style`, per libevent's documentation: the
// line's length and the bytes to drain with its end of line, or nothing
// when no complete line is there.
struct LineEnd {
  std::size_t length;
  std::size_t drained;
};
bool find_line(const std::string& s, evbuffer_eol_style style, LineEnd& out) {
  std::size_t pos = std::string::npos;
  switch (style) {
    case EVBUFFER_EOL_ANY: {  // any run of CR and LF characters
      pos = s.find_first_of("\r\n");
      if (pos == std::string::npos) {
        return false;
      }
      const std::size_t end = s.find_first_not_of("\r\n", pos);
      out = {pos, end == std::string::npos ? s.size() : end};
      return true;
    }
    case EVBUFFER_EOL_CRLF:  // LF, with an optional CR before it
      pos = s.find('\n');
      if (pos == std::string::npos) {
        return false;
      }
      out = {pos > 0 && s[pos - 1] == '\r' ? pos - 1 : pos, pos + 1};
      return true;
    case EVBUFFER_EOL_CRLF_STRICT:
      pos = s.find("\r\n");
      if (pos == std::string::npos) {
        return false;
      }
      out = {pos, pos + 2};
      return true;
    case EVBUFFER_EOL_LF:
      pos = s.find('\n');
      break;
    case EVBUFFER_EOL_NUL:
      pos = s.find('\0');
      break;
  }
  if (pos == std::string::npos) {
    return false;
  }
  out = {pos, pos + 1};
  return true;
}

// Bytes for an add or prepend: from the input, or a repeated pattern for
// sizes beyond what the input carries (so that chains of several blocks
// are built).
std::string payload(FuzzInput& in, const std::string& model) {
  if (in.flag()) {
    return std::string(in.bytes(64));
  }
  const std::size_t n = std::min(in.upto(40000), kMaxModel - std::min(kMaxModel, model.size()));
  const char c = static_cast<char>(in.u8());
  std::string out(n, c);
  for (std::size_t i = 0; i < n; i += 97) {
    out[i] = static_cast<char>(i);
  }
  return out;
}

void run(FuzzInput& in) {
  Evbuffer a;
  Evbuffer b;
  std::string model_a;
  std::string model_b;
  eddy::test::Pipe pipe;  // for evbuffer_write_atmost and evbuffer_read
  for (std::size_t op = 0; op < kMaxOps && !in.empty(); ++op) {
    const bool on_a = in.flag();
    evbuffer* buf = on_a ? a.get() : b.get();
    evbuffer* other = on_a ? b.get() : a.get();
    std::string& model = on_a ? model_a : model_b;
    std::string& other_model = on_a ? model_b : model_a;
    switch (in.u8() % 16) {
      case 0: {
        const std::string data = payload(in, model);
        EDDY_FUZZ_CHECK(evbuffer_add(buf, data.data(), data.size()) == 0);
        model += data;
        break;
      }
      case 1: {
        const std::string data = payload(in, model);
        EDDY_FUZZ_CHECK(evbuffer_prepend(buf, data.data(), data.size()) == 0);
        model.insert(0, data);
        break;
      }
      case 2: {
        const std::size_t n = in.upto(70000);
        EDDY_FUZZ_CHECK(evbuffer_drain(buf, n) == 0);
        model.erase(0, std::min(n, model.size()));
        break;
      }
      case 3: {
        std::string out(in.upto(20000), '\0');
        const int got = evbuffer_remove(buf, out.data(), out.size());
        const std::size_t expected = std::min(out.size(), model.size());
        EDDY_FUZZ_CHECK(got == static_cast<int>(expected));
        EDDY_FUZZ_CHECK(out.compare(0, expected, model, 0, expected) == 0);
        model.erase(0, expected);
        break;
      }
      case 4: {  // all of `other` to the end of buf
        if (model.size() + other_model.size() > kMaxModel) {
          break;
        }
        EDDY_FUZZ_CHECK(evbuffer_add_buffer(buf, other) == 0);
        model += other_model;
        other_model.clear();
        break;
      }
      case 5: {  // all of `other` to the front of buf
        if (model.size() + other_model.size() > kMaxModel) {
          break;
        }
        EDDY_FUZZ_CHECK(evbuffer_prepend_buffer(buf, other) == 0);
        model.insert(0, other_model);
        other_model.clear();
        break;
      }
      case 6: {  // up to n bytes of buf to the end of other
        const std::size_t n = in.upto(40000);
        if (other_model.size() + n > kMaxModel) {
          break;
        }
        const int moved = evbuffer_remove_buffer(buf, other, n);
        const std::size_t expected = std::min(n, model.size());
        EDDY_FUZZ_CHECK(moved == static_cast<int>(expected));
        other_model += model.substr(0, expected);
        model.erase(0, expected);
        break;
      }
      case 7: {
        const std::size_t n = in.upto(40000);
        const unsigned char* p = evbuffer_pullup(buf, static_cast<ev_ssize_t>(n));
        if (n > model.size()) {
          EDDY_FUZZ_CHECK(p == nullptr);
        } else if (n > 0) {
          EDDY_FUZZ_CHECK(p != nullptr);
          EDDY_FUZZ_CHECK(std::memcmp(p, model.data(), n) == 0);
        }
        break;
      }
      case 8: {
        const std::string needle(in.bytes(8));
        if (needle.empty()) {
          break;
        }
        const evbuffer_ptr found = evbuffer_search(buf, needle.data(), needle.size(), nullptr);
        const std::size_t expected = model.find(needle);
        if (expected == std::string::npos) {
          EDDY_FUZZ_CHECK(found.pos == -1);
        } else {
          EDDY_FUZZ_CHECK(found.pos == static_cast<ev_ssize_t>(expected));
        }
        break;
      }
      case 9: {
        static constexpr std::array<evbuffer_eol_style, 5> kStyles = {
            EVBUFFER_EOL_ANY, EVBUFFER_EOL_CRLF, EVBUFFER_EOL_CRLF_STRICT, EVBUFFER_EOL_LF, EVBUFFER_EOL_NUL};
        const evbuffer_eol_style style = kStyles[in.u8() % kStyles.size()];
        std::size_t length = 0;
        char* line = evbuffer_readln(buf, &length, style);
        LineEnd end{};
        if (!find_line(model, style, end)) {
          EDDY_FUZZ_CHECK(line == nullptr);
          break;
        }
        EDDY_FUZZ_CHECK(line != nullptr);
        EDDY_FUZZ_CHECK(length == end.length);
        EDDY_FUZZ_CHECK(std::memcmp(line, model.data(), end.length) == 0);
        EDDY_FUZZ_CHECK(line[length] == '\0');
        std::free(line);
        model.erase(0, end.drained);
        break;
      }
      case 10: {  // reserve, fill, commit part of it
        const std::size_t want = 1 + in.upto(30000);
        if (model.size() + want > kMaxModel) {
          break;
        }
        evbuffer_iovec vec{};
        const int n = evbuffer_reserve_space(buf, static_cast<ev_ssize_t>(want), &vec, 1);
        EDDY_FUZZ_CHECK(n == 1);
        EDDY_FUZZ_CHECK(vec.iov_len >= want);
        const std::size_t used = std::min(vec.iov_len, in.upto(want));
        auto* bytes = static_cast<char*>(vec.iov_base);
        for (std::size_t i = 0; i < used; ++i) {
          bytes[i] = static_cast<char>('a' + i % 26);
        }
        vec.iov_len = used;
        EDDY_FUZZ_CHECK(evbuffer_commit_space(buf, &vec, 1) == 0);
        model.append(bytes, used);
        break;
      }
      case 11: {
        const std::size_t n = in.upto(50000);
        EDDY_FUZZ_CHECK(evbuffer_expand(buf, n) == 0);
        break;
      }
      case 12: {  // write some of buf into the pipe, read it back into other
        const std::size_t at_most = 1 + in.upto(70000);
        if (model.empty() || other_model.size() + at_most > kMaxModel) {
          break;
        }
        const int written = evbuffer_write_atmost(buf, pipe.write_fd(), static_cast<ev_ssize_t>(at_most));
        EDDY_FUZZ_CHECK(written > 0);
        const std::size_t sent = written > 0 ? static_cast<std::size_t>(written) : 0;
        const std::string moved = model.substr(0, sent);
        model.erase(0, sent);
        std::size_t received = 0;
        while (received < sent) {
          const int got = evbuffer_read(other, pipe.read_fd(), static_cast<int>(sent - received));
          EDDY_FUZZ_CHECK(got > 0);
          received += static_cast<std::size_t>(got);
        }
        other_model += moved;
        break;
      }
      case 13: {
        const std::size_t offset = in.upto(1000);
        std::string out(in.upto(5000), '\0');
        evbuffer_ptr at{};
        const int set = evbuffer_ptr_set(buf, &at, offset, EVBUFFER_PTR_SET);
        if (offset > model.size()) {
          EDDY_FUZZ_CHECK(set == -1);
          break;
        }
        EDDY_FUZZ_CHECK(set == 0);
        const ev_ssize_t copied = evbuffer_copyout_from(buf, &at, out.data(), out.size());
        const std::size_t expected = std::min(out.size(), model.size() - offset);
        EDDY_FUZZ_CHECK(copied == static_cast<ev_ssize_t>(expected));
        EDDY_FUZZ_CHECK(out.compare(0, expected, model, offset, expected) == 0);
        break;
      }
      case 14: {
        const std::size_t contiguous = evbuffer_get_contiguous_space(buf);
        EDDY_FUZZ_CHECK(contiguous <= model.size());
        EDDY_FUZZ_CHECK((contiguous == 0) == model.empty());
        break;
      }
      default: {  // drain everything
        EDDY_FUZZ_CHECK(evbuffer_drain(buf, model.size()) == 0);
        model.clear();
        break;
      }
    }
    check_matches(a.get(), model_a);
    check_matches(b.get(), model_b);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  run(in);
  return 0;
}
