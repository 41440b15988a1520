// The C entry points of evbuffer that look into it: search, ends of line,
// positions and peeking (event2/buffer.h, event2/buffer_compat.h). Matches
// that span blocks are found without copying.
#include "evbuffer.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace {

evbuffer_ptr make_ptr(ev_ssize_t pos) noexcept {
  evbuffer_ptr ptr{};
  ptr.pos = pos;
  return ptr;
}

// Finds the end of line at or after `from`: its offset and length, or npos.
std::size_t find_eol(const evbuffer& buf, std::size_t from, evbuffer_eol_style style, std::size_t& eol_len) {
  const eddy::Buffer& b = buf.bytes;
  const std::size_t npos = eddy::Buffer::npos;
  switch (style) {
    case EVBUFFER_EOL_ANY: {
      const std::size_t at = std::min(b.find("\r", from), b.find("\n", from));
      if (at == npos) {
        return npos;
      }
      eol_len = buf.run_length(at, "\r\n");
      return at;
    }
    case EVBUFFER_EOL_CRLF: {
      const std::size_t lf = b.find("\n", from);
      if (lf == npos) {
        return npos;
      }
      char before = 0;
      if (lf > from && buf.copy_range(lf - 1, &before, 1) == 1 && before == '\r') {
        eol_len = 2;
        return lf - 1;
      }
      eol_len = 1;
      return lf;
    }
    case EVBUFFER_EOL_CRLF_STRICT:
      eol_len = 2;
      return b.find("\r\n", from);
    case EVBUFFER_EOL_LF:
      eol_len = 1;
      return b.find("\n", from);
    case EVBUFFER_EOL_NUL:
      eol_len = 1;
      return b.find(std::string_view("\0", 1), from);
  }
  return npos;
}

}  // namespace

extern "C" {

char* evbuffer_readln(struct evbuffer* buffer, size_t* n_read_out, enum evbuffer_eol_style eol_style) {
  if (buffer->frozen_front) {
    return nullptr;
  }
  std::size_t eol_len = 0;
  const std::size_t at = find_eol(*buffer, 0, eol_style, eol_len);
  if (at == eddy::Buffer::npos) {
    if (n_read_out != nullptr) {
      *n_read_out = 0;
    }
    return nullptr;
  }
  auto* line = static_cast<char*>(std::malloc(at + 1));
  if (line == nullptr) {
    return nullptr;
  }
  buffer->bytes.copy_out(line, at);
  line[at] = '\0';
  // Two changes, as in libevent: the line, then its end of line.
  buffer->drain(at);
  buffer->changed();
  buffer->drain(eol_len);
  buffer->changed();
  if (n_read_out != nullptr) {
    *n_read_out = at;
  }
  return line;
}

char* evbuffer_readline(struct evbuffer* buffer) { return evbuffer_readln(buffer, nullptr, EVBUFFER_EOL_ANY); }

int evbuffer_ptr_set(struct evbuffer* buffer, struct evbuffer_ptr* ptr, size_t position, enum evbuffer_ptr_how how) {
  std::size_t target = position;
  if (how == EVBUFFER_PTR_ADD) {
    if (ptr->pos < 0 || position > static_cast<std::size_t>(EV_SSIZE_MAX) - static_cast<std::size_t>(ptr->pos)) {
      return -1;
    }
    target = static_cast<std::size_t>(ptr->pos) + position;
  }
  if (target > buffer->size()) {
    ptr->pos = -1;
    return -1;
  }
  *ptr = make_ptr(static_cast<ev_ssize_t>(target));
  return 0;
}

struct evbuffer_ptr evbuffer_search_range(struct evbuffer* buffer, const char* what, size_t len,
                                          const struct evbuffer_ptr* start, const struct evbuffer_ptr* end) {
  const std::size_t from = start != nullptr ? static_cast<std::size_t>(start->pos) : 0;
  if (start != nullptr && start->pos < 0) {
    return make_ptr(-1);
  }
  const std::size_t at = buffer->bytes.find(std::string_view(what, len), from);
  if (at == eddy::Buffer::npos) {
    return make_ptr(-1);
  }
  if (end != nullptr && at + len > static_cast<std::size_t>(end->pos)) {
    return make_ptr(-1);
  }
  return make_ptr(static_cast<ev_ssize_t>(at));
}

struct evbuffer_ptr evbuffer_search(struct evbuffer* buffer, const char* what, size_t len,
                                    const struct evbuffer_ptr* start) {
  return evbuffer_search_range(buffer, what, len, start, nullptr);
}

struct evbuffer_ptr evbuffer_search_eol(struct evbuffer* buffer, struct evbuffer_ptr* start, size_t* eol_len_out,
                                        enum evbuffer_eol_style eol_style) {
  const std::size_t from = start != nullptr ? static_cast<std::size_t>(start->pos) : 0;
  if (start != nullptr && start->pos < 0) {
    return make_ptr(-1);
  }
  std::size_t eol_len = 0;
  const std::size_t at = find_eol(*buffer, from, eol_style, eol_len);
  if (at == eddy::Buffer::npos) {
    return make_ptr(-1);
  }
  if (eol_len_out != nullptr) {
    *eol_len_out = eol_len;
  }
  return make_ptr(static_cast<ev_ssize_t>(at));
}

int evbuffer_peek(struct evbuffer* buffer, ev_ssize_t len, struct evbuffer_ptr* start_at, struct evbuffer_iovec* vec_out,
                  int n_vec) {
  std::size_t skip = start_at != nullptr ? static_cast<std::size_t>(start_at->pos) : 0;
  if (start_at != nullptr && start_at->pos < 0) {
    return -1;
  }
  std::size_t wanted = len < 0 ? buffer->size() : static_cast<std::size_t>(len);
  int needed = 0;
  buffer->for_each_segment([&](const char* data, std::size_t size) {
    if (len >= 0 && wanted == 0) {
      return false;
    }
    if (skip >= size) {
      skip -= size;
      return true;
    }
    // Whole extents, as libevent gives them: the last may run past len.
    if (needed < n_vec) {
      vec_out[needed].iov_base = const_cast<char*>(data) + skip;
      vec_out[needed].iov_len = size - skip;
    }
    ++needed;
    wanted -= std::min(wanted, size - skip);
    skip = 0;
    return true;
  });
  return needed;
}

unsigned char* evbuffer_find(struct evbuffer* buffer, const unsigned char* what, size_t len) {
  const evbuffer_ptr at = evbuffer_search(buffer, reinterpret_cast<const char*>(what), len, nullptr);
  if (at.pos < 0) {
    return nullptr;
  }
  unsigned char* data = evbuffer_pullup(buffer, static_cast<ev_ssize_t>(static_cast<std::size_t>(at.pos) + len));
  return data == nullptr ? nullptr : data + at.pos;
}

}  // extern "C"
