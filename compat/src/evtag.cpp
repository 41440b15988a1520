// libevent's tagging API (event2/tag.h) over evbuffer's public calls, in
// libevent 2.1's wire format (evtag_wire.hpp).
//
// Failed decoders leave the input as libevent leaves it (event2/tag.h says
// what each consumes); the differential case diffb_evtag compares that too.
#include "evtag_wire.hpp"
#include "mem.hpp"

#include <event2/buffer.h>
#include <event2/tag.h>

#include <climits>
#include <cstring>

// Exported by libevent and called by its regression tests, which declare
// them themselves: no public header has them.
extern "C" {
int evtag_decode_int(ev_uint32_t* pnumber, struct evbuffer* evbuf);
int evtag_decode_int64(ev_uint64_t* pnumber, struct evbuffer* evbuf);
int evtag_encode_tag(struct evbuffer* evbuf, ev_uint32_t number);
int evtag_decode_tag(ev_uint32_t* pnumber, struct evbuffer* evbuf);
}

namespace {

using eddy::compat::evtag::encode_int;
using eddy::compat::evtag::encode_tag;
using eddy::compat::evtag::kMaxIntSize;
using eddy::compat::evtag::kMaxTagSize;

void add_int(evbuffer* buf, ev_uint64_t number) {
  unsigned char bytes[kMaxIntSize];
  evbuffer_add(buf, bytes, encode_int(number, bytes));
}

// A copy of a buffer's first bytes, enough for any decoder here: a tag and
// a length, or the two integers of a timeval. Each decoder reads at offset
// `at` and returns the size decoded, 0 on failure (evtag_wire.hpp).
struct Front {
  unsigned char bytes[2 * kMaxIntSize];
  std::size_t size = 0;

  explicit Front(evbuffer* buf) noexcept {
    const ev_ssize_t n = evbuffer_copyout(buf, bytes, sizeof bytes);
    size = n > 0 ? static_cast<std::size_t>(n) : 0;
  }

  std::size_t tag_at(std::size_t at, ev_uint32_t& tag) const noexcept {
    return at > size ? 0 : eddy::compat::evtag::decode_tag(bytes + at, size - at, tag);
  }
  std::size_t int32_at(std::size_t at, ev_uint32_t& number) const noexcept {
    return at > size ? 0 : eddy::compat::evtag::decode_int32(bytes + at, size - at, number);
  }
  std::size_t int64_at(std::size_t at, ev_uint64_t& number) const noexcept {
    return at > size ? 0 : eddy::compat::evtag::decode_int(bytes + at, size - at, number);
  }
};

// Consumes a tag, or nothing when there is none.
bool take_tag(evbuffer* buf, ev_uint32_t& tag) {
  const std::size_t size = Front(buf).tag_at(0, tag);
  if (size == 0) {
    return false;
  }
  evbuffer_drain(buf, size);
  return true;
}

// Consumes a 32-bit integer, or nothing when there is none.
bool take_int32(evbuffer* buf, ev_uint32_t& number) {
  const std::size_t size = Front(buf).int32_at(0, number);
  if (size == 0) {
    return false;
  }
  evbuffer_drain(buf, size);
  return true;
}

// Consumes the length of a record whose tag is consumed already; the length
// when the payload is all in the buffer, else -1.
int take_length(evbuffer* buf) {
  ev_uint32_t length = 0;
  if (!take_int32(buf, length) || evbuffer_get_length(buf) < length || length > INT_MAX) {
    return -1;
  }
  return static_cast<int>(length);
}

// evtag_unmarshal_int and _int64: the payload is drained whether or not the
// integer inside decodes, and an integer running past it is an error that
// still stores its value.
template <typename Int>
int unmarshal_integer(evbuffer* buf, ev_uint32_t need_tag, Int* out) {
  ev_uint32_t tag = 0;
  if (!take_tag(buf, tag) || tag != need_tag) {
    return -1;
  }
  const int length = take_length(buf);
  if (length < 0) {
    return -1;
  }
  const Front front(buf);
  std::size_t size = 0;
  if constexpr (sizeof(Int) == sizeof(ev_uint32_t)) {
    size = front.int32_at(0, *out);
  } else {
    size = front.int64_at(0, *out);
  }
  evbuffer_drain(buf, static_cast<std::size_t>(length));
  if (size == 0 || size > static_cast<std::size_t>(length)) {
    return -1;
  }
  return static_cast<int>(size);
}

}  // namespace

extern "C" {

void evtag_init(void) {}

int evtag_encode_tag(struct evbuffer* evbuf, ev_uint32_t number) {
  unsigned char bytes[kMaxTagSize];
  const std::size_t size = encode_tag(number, bytes);
  evbuffer_add(evbuf, bytes, size);
  return static_cast<int>(size);
}

int evtag_decode_tag(ev_uint32_t* pnumber, struct evbuffer* evbuf) {
  ev_uint32_t tag = 0;
  const std::size_t size = Front(evbuf).tag_at(0, tag);
  if (size == 0) {
    return -1;
  }
  evbuffer_drain(evbuf, size);
  *pnumber = tag;
  return static_cast<int>(size);
}

void evtag_encode_int(struct evbuffer* evbuf, ev_uint32_t number) { add_int(evbuf, number); }

void evtag_encode_int64(struct evbuffer* evbuf, ev_uint64_t number) { add_int(evbuf, number); }

int evtag_decode_int(ev_uint32_t* pnumber, struct evbuffer* evbuf) { return take_int32(evbuf, *pnumber) ? 0 : -1; }

int evtag_decode_int64(ev_uint64_t* pnumber, struct evbuffer* evbuf) {
  const std::size_t size = Front(evbuf).int64_at(0, *pnumber);
  if (size == 0) {
    return -1;
  }
  evbuffer_drain(evbuf, size);
  return 0;
}

void evtag_marshal(struct evbuffer* evbuf, ev_uint32_t tag, const void* data, ev_uint32_t len) {
  evtag_encode_tag(evbuf, tag);
  add_int(evbuf, len);
  evbuffer_add(evbuf, data, len);
}

void evtag_marshal_buffer(struct evbuffer* evbuf, ev_uint32_t tag, struct evbuffer* data) {
  evtag_encode_tag(evbuf, tag);
  // As libevent: a payload past 4 GiB gets its length cut to 32 bits.
  add_int(evbuf, static_cast<ev_uint32_t>(evbuffer_get_length(data)));
  evbuffer_add_buffer(evbuf, data);
}

void evtag_marshal_int(struct evbuffer* evbuf, ev_uint32_t tag, ev_uint32_t integer) {
  evtag_marshal_int64(evbuf, tag, integer);
}

void evtag_marshal_int64(struct evbuffer* evbuf, ev_uint32_t tag, ev_uint64_t integer) {
  unsigned char bytes[kMaxIntSize];
  evtag_marshal(evbuf, tag, bytes, static_cast<ev_uint32_t>(encode_int(integer, bytes)));
}

void evtag_marshal_string(struct evbuffer* buf, ev_uint32_t tag, const char* string) {
  evtag_marshal(buf, tag, string, static_cast<ev_uint32_t>(std::strlen(string)));
}

void evtag_marshal_timeval(struct evbuffer* evbuf, ev_uint32_t tag, struct timeval* tv) {
  // libevent writes each field as a 32-bit integer, cutting what is wider.
  unsigned char bytes[2 * kMaxIntSize];
  std::size_t size = encode_int(static_cast<ev_uint32_t>(tv->tv_sec), bytes);
  size += encode_int(static_cast<ev_uint32_t>(tv->tv_usec), bytes + size);
  evtag_marshal(evbuf, tag, bytes, static_cast<ev_uint32_t>(size));
}

int evtag_peek(struct evbuffer* evbuf, ev_uint32_t* ptag) {
  ev_uint32_t tag = 0;
  const std::size_t size = Front(evbuf).tag_at(0, tag);
  if (size == 0) {
    return -1;
  }
  if (ptag != nullptr) {
    *ptag = tag;
  }
  return static_cast<int>(size);
}

int evtag_payload_length(struct evbuffer* evbuf, ev_uint32_t* plength) {
  const Front front(evbuf);
  ev_uint32_t tag = 0;
  const std::size_t tag_size = front.tag_at(0, tag);
  if (tag_size == 0 || front.int32_at(tag_size, *plength) == 0) {
    return -1;
  }
  return 0;
}

int evtag_peek_length(struct evbuffer* evbuf, ev_uint32_t* plength) {
  const Front front(evbuf);
  ev_uint32_t tag = 0;
  ev_uint32_t length = 0;
  const std::size_t tag_size = front.tag_at(0, tag);
  const std::size_t length_size = tag_size == 0 ? 0 : front.int32_at(tag_size, length);
  if (length_size == 0) {
    return -1;
  }
  // Wraps past 2^32 as libevent's does.
  *plength = static_cast<ev_uint32_t>(length + tag_size + length_size);
  return 0;
}

int evtag_unmarshal_header(struct evbuffer* evbuf, ev_uint32_t* ptag) {
  ev_uint32_t tag = 0;
  if (!take_tag(evbuf, tag)) {
    return -1;
  }
  if (ptag != nullptr) {
    *ptag = tag;
  }
  return take_length(evbuf);
}

int evtag_consume(struct evbuffer* evbuf) {
  ev_uint32_t tag = 0;
  const int length = evtag_unmarshal_header(evbuf, &tag);
  if (length < 0) {
    return -1;
  }
  evbuffer_drain(evbuf, static_cast<std::size_t>(length));
  return 0;
}

int evtag_unmarshal(struct evbuffer* src, ev_uint32_t* ptag, struct evbuffer* dst) {
  const int length = evtag_unmarshal_header(src, ptag);
  if (length <= 0) {
    return length;
  }
  return evbuffer_remove_buffer(src, dst, static_cast<std::size_t>(length)) == length ? length : -1;
}

int evtag_unmarshal_int(struct evbuffer* evbuf, ev_uint32_t need_tag, ev_uint32_t* pinteger) {
  return unmarshal_integer(evbuf, need_tag, pinteger);
}

int evtag_unmarshal_int64(struct evbuffer* evbuf, ev_uint32_t need_tag, ev_uint64_t* pinteger) {
  return unmarshal_integer(evbuf, need_tag, pinteger);
}

int evtag_unmarshal_fixed(struct evbuffer* src, ev_uint32_t need_tag, void* data, size_t len) {
  ev_uint32_t tag = 0;
  const int length = evtag_unmarshal_header(src, &tag);
  if (length < 0 || tag != need_tag || static_cast<std::size_t>(length) != len) {
    return -1;
  }
  evbuffer_remove(src, data, len);
  return 0;
}

int evtag_unmarshal_string(struct evbuffer* evbuf, ev_uint32_t need_tag, char** pstring) {
  ev_uint32_t tag = 0;
  const int length = evtag_unmarshal_header(evbuf, &tag);
  if (length < 0 || tag != need_tag) {
    return -1;
  }
  const auto size = static_cast<std::size_t>(length);
  auto* string = static_cast<char*>(eddy::compat::mem_malloc(size + 1));
  if (string == nullptr) {
    return -1;
  }
  evbuffer_remove(evbuf, string, size);
  string[size] = '\0';
  *pstring = string;
  return 0;
}

int evtag_unmarshal_timeval(struct evbuffer* evbuf, ev_uint32_t need_tag, struct timeval* ptv) {
  ev_uint32_t tag = 0;
  const int length = evtag_unmarshal_header(evbuf, &tag);
  if (length < 0) {
    return -1;
  }
  // As libevent: the integers are read from the buffer, not from the
  // payload alone, each field is stored as soon as it decodes, and the
  // payload goes whatever the outcome.
  int result = -1;
  const Front front(evbuf);
  ev_uint32_t sec = 0;
  ev_uint32_t usec = 0;
  const std::size_t sec_size = tag == need_tag ? front.int32_at(0, sec) : 0;
  if (sec_size != 0) {
    ptv->tv_sec = static_cast<time_t>(sec);
    const std::size_t usec_size = front.int32_at(sec_size, usec);
    if (usec_size != 0) {
      ptv->tv_usec = static_cast<suseconds_t>(usec);
      if (sec_size + usec_size <= static_cast<std::size_t>(length)) {
        result = 0;
      }
    }
  }
  evbuffer_drain(evbuf, static_cast<std::size_t>(length));
  return result;
}

}  // extern "C"
