// The C entry points of evbuffer that look into it: search, ends of line,
// positions and peeking (event2/buffer.h, event2/buffer_compat.h). Matches
// that span chains are found without copying.
#include "evbuffer.hpp"
#include "evlock.hpp"
#include "mem.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

using eddy::compat::chain_data;

namespace {

constexpr std::size_t npos = static_cast<std::size_t>(-1);

evbuffer_ptr make_ptr(ev_ssize_t pos) noexcept {
  evbuffer_ptr ptr{};
  ptr.pos = pos;
  return ptr;
}

// The chain that holds byte `pos` and where that chain starts (nullptr at
// the end of the buffer).
evbuffer_chain* chain_at(const evbuffer& buf, std::size_t pos, std::size_t& chain_start) noexcept {
  chain_start = 0;
  evbuffer_chain* c = buf.first;
  while (c != nullptr && pos - chain_start >= c->off) {
    chain_start += c->off;
    c = c->next;
  }
  return c;
}

// Whether `what` is at offset `at` of chain c, running on into the chains
// after it.
bool matches_at(evbuffer_chain* c, std::size_t at, std::string_view what) noexcept {
  std::size_t done = 0;
  for (; done < what.size(); c = c->next, at = 0) {
    if (c == nullptr) {
      return false;
    }
    const unsigned char* data = chain_data(c);
    const std::size_t k = std::min(c->off - at, what.size() - done);
    if (k != 0 && (data == nullptr || std::memcmp(data + at, what.data() + done, k) != 0)) {
      return false;
    }
    done += k;
  }
  return true;
}

// The first byte at or after `from` for which is(byte) holds, or npos.
template <typename Is>
std::size_t find_if(const evbuffer& buf, std::size_t from, Is is) noexcept {
  std::size_t start;
  std::size_t at = from;
  for (evbuffer_chain* c = chain_at(buf, from, start); c != nullptr; start += c->off, c = c->next) {
    const unsigned char* data = chain_data(c);
    if (data == nullptr) {
      return npos;
    }
    for (std::size_t i = at - start; i < c->off; ++i) {
      if (is(data[i])) {
        return start + i;
      }
    }
    at = start + c->off;
  }
  return npos;
}

// Where `what` starts at or after `from`, ending by `limit`; or npos.
std::size_t find(const evbuffer& buf, std::string_view what, std::size_t from, std::size_t limit) noexcept {
  if (what.empty()) {
    return from <= limit ? from : npos;
  }
  std::size_t start;
  std::size_t at = from;
  for (evbuffer_chain* c = chain_at(buf, from, start); c != nullptr; start += c->off, c = c->next) {
    const unsigned char* data = chain_data(c);
    if (data == nullptr) {
      return npos;
    }
    std::size_t i = at - start;
    while (i < c->off) {
      const void* hit = std::memchr(data + i, what[0], c->off - i);
      if (hit == nullptr) {
        break;
      }
      i = static_cast<std::size_t>(static_cast<const unsigned char*>(hit) - data);
      if (start + i + what.size() > limit) {
        return npos;
      }
      if (matches_at(c, i, what)) {
        return start + i;
      }
      ++i;
    }
    at = start + c->off;
  }
  return npos;
}

// How many bytes from `from` on are CR or LF.
std::size_t crlf_run(const evbuffer& buf, std::size_t from) noexcept {
  const std::size_t end = find_if(buf, from, [](unsigned char b) { return b != '\r' && b != '\n'; });
  return (end == npos ? buf.size() : end) - from;
}

// Finds the end of line at or after `from`: its offset and length, or npos.
std::size_t find_eol(evbuffer& buf, std::size_t from, evbuffer_eol_style style, std::size_t& eol_len) noexcept {
  const std::size_t all = buf.size();
  switch (style) {
    case EVBUFFER_EOL_ANY: {
      const std::size_t at = find_if(buf, from, [](unsigned char b) { return b == '\r' || b == '\n'; });
      if (at != npos) {
        eol_len = crlf_run(buf, at);
      }
      return at;
    }
    case EVBUFFER_EOL_CRLF: {
      const std::size_t lf = find(buf, "\n", from, all);
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
      return find(buf, "\r\n", from, all);
    case EVBUFFER_EOL_LF:
      eol_len = 1;
      return find(buf, "\n", from, all);
    case EVBUFFER_EOL_NUL:
      eol_len = 1;
      return find(buf, std::string_view("\0", 1), from, all);
  }
  return npos;
}

}  // namespace

extern "C" {

char* evbuffer_readln(struct evbuffer* buffer, size_t* n_read_out, enum evbuffer_eol_style eol_style) {
  const eddy::compat::LockHeld held(buffer->lock);
  if (n_read_out != nullptr) {
    *n_read_out = 0;
  }
  if (buffer->freeze_start) {
    return nullptr;
  }
  std::size_t eol_len = 0;
  const std::size_t at = find_eol(*buffer, 0, eol_style, eol_len);
  if (at == npos) {
    return nullptr;
  }
  // From the program's allocator (event_set_mem_functions), as libevent's.
  auto* line = static_cast<char*>(eddy::compat::mem_malloc(at + 1));
  if (line == nullptr) {
    return nullptr;
  }
  buffer->copy_range(0, line, at);
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
  const eddy::compat::LockHeld held(buffer->lock);
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
  const eddy::compat::LockHeld held(buffer->lock);
  if (start != nullptr && start->pos < 0) {
    return make_ptr(-1);
  }
  const std::size_t from = start != nullptr ? static_cast<std::size_t>(start->pos) : 0;
  std::size_t limit = buffer->size();
  if (end != nullptr && end->pos >= 0) {
    limit = std::min(limit, static_cast<std::size_t>(end->pos));
  }
  if (from > limit) {
    return make_ptr(-1);
  }
  const std::size_t at = find(*buffer, std::string_view(what, len), from, limit);
  return make_ptr(at == npos ? -1 : static_cast<ev_ssize_t>(at));
}

struct evbuffer_ptr evbuffer_search(struct evbuffer* buffer, const char* what, size_t len,
                                    const struct evbuffer_ptr* start) {
  return evbuffer_search_range(buffer, what, len, start, nullptr);
}

struct evbuffer_ptr evbuffer_search_eol(struct evbuffer* buffer, struct evbuffer_ptr* start, size_t* eol_len_out,
                                        enum evbuffer_eol_style eol_style) {
  const eddy::compat::LockHeld held(buffer->lock);
  if (eol_len_out != nullptr) {
    *eol_len_out = 0;
  }
  if (start != nullptr && start->pos < 0) {
    return make_ptr(-1);
  }
  const std::size_t from = start != nullptr ? static_cast<std::size_t>(start->pos) : 0;
  std::size_t eol_len = 0;
  const std::size_t at = find_eol(*buffer, from, eol_style, eol_len);
  if (at == npos) {
    return make_ptr(-1);
  }
  if (eol_len_out != nullptr) {
    *eol_len_out = eol_len;
  }
  return make_ptr(static_cast<ev_ssize_t>(at));
}

int evbuffer_peek(struct evbuffer* buffer, ev_ssize_t len, struct evbuffer_ptr* start_at,
                  struct evbuffer_iovec* vec_out, int n_vec) {
  const eddy::compat::LockHeld held(buffer->lock);
  if (start_at != nullptr && start_at->pos < 0) {
    return -1;
  }
  const std::size_t from = start_at != nullptr ? static_cast<std::size_t>(start_at->pos) : 0;
  std::size_t start;
  std::size_t skip = 0;
  evbuffer_chain* c = chain_at(*buffer, from, start);
  if (c != nullptr) {
    skip = from - start;
  }
  // Asked for everything with nowhere to put it: counted as if asked for
  // what there is.
  if (n_vec == 0 && len < 0) {
    len = static_cast<ev_ssize_t>(buffer->size() - std::min(from, buffer->size()));
  }
  // Whole extents, as libevent gives them: the last may run past len. The
  // extent that holds start_at counts even when len is 0, as in libevent.
  int needed = 0;
  std::size_t seen = 0;
  for (bool at_start = start_at != nullptr; c != nullptr; c = c->next, skip = 0, at_start = false) {
    if (!at_start && len >= 0 && seen >= static_cast<std::size_t>(len)) {
      break;
    }
    if (c->off == 0) {
      continue;
    }
    if (needed >= n_vec && len < 0) {
      break;
    }
    unsigned char* data = chain_data(c);
    if (data == nullptr) {
      return -1;
    }
    if (needed < n_vec) {
      vec_out[needed].iov_base = data + skip;
      vec_out[needed].iov_len = c->off - skip;
    }
    ++needed;
    seen += c->off - skip;
  }
  return needed;
}

unsigned char* evbuffer_find(struct evbuffer* buffer, const unsigned char* what, size_t len) {
  const eddy::compat::LockHeld held(buffer->lock);
  const evbuffer_ptr at = evbuffer_search(buffer, reinterpret_cast<const char*>(what), len, nullptr);
  if (at.pos < 0) {
    return nullptr;
  }
  unsigned char* data = evbuffer_pullup(buffer, static_cast<ev_ssize_t>(static_cast<std::size_t>(at.pos) + len));
  return data == nullptr ? nullptr : data + at.pos;
}

}  // extern "C"
