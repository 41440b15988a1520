// An evbuffer's reads and writes: one readv(2) into the room at the end
// (read(2) into an empty buffer), one gathering write (or sendfile(2))
// from the front.
//
// - The calls are eddy's own (src/sys/raw_io.hpp says why: glibc's
//   wrappers are cancellation points, which costs on every call in a
//   threaded process); errno is set from their result on failure, as
//   evbuffer_read and evbuffer_write report through it.
// - Sockets get sendmsg(MSG_NOSIGNAL), or send(2) for one piece: a peer
//   that has gone is EPIPE, not SIGPIPE. Other fds (ENOTSOCK) get writev(2)
//   or write(2).
// - sendfile(2) takes any fd as the destination since Linux 2.6.33.
#include "evbuffer.hpp"

#include "evbuffer_file.hpp"
#include "sys/raw_io.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

using eddy::compat::chain_data;
using eddy::compat::chain_new;
using eddy::compat::chain_space;
using eddy::compat::chain_space_ptr;

namespace {

// A read fills at most this many chains, made as needed of up to 16 KiB
// each (a block of the per-thread cache): 64 KiB in one call, while a
// buffer that holds a short message keeps only a small chain.
constexpr int kReadVecs = 4;
constexpr std::size_t kReadChainCapacity = 16 * 1024 - sizeof(evbuffer_chain);
// A write gathers at most this many chains.
constexpr int kWriteVecs = 64;

// A raw call's result: bytes, or minus the errno.
eddy::IoResult result_of(long n) noexcept {
  eddy::IoResult result;
  if (n > 0) {
    result.bytes = static_cast<std::size_t>(n);
  } else if (n < 0) {
    errno = static_cast<int>(-n);
    if (!eddy::sys::is_would_block(n)) {
      result.error = std::error_code(errno, std::system_category());
    }
  }
  return result;
}

}  // namespace

// What most reads of a connection of short messages are: nothing is
// buffered (the last message went on to an output), so one new chain and
// one read(2) into it.
eddy::IoResult evbuffer::read_into_fresh_chain(int fd, std::size_t max_bytes) noexcept {
  eddy::IoResult result;
  evbuffer_chain* fresh = chain_new(std::min(max_bytes, kReadChainCapacity));
  if (fresh == nullptr) {
    result.error = std::make_error_code(std::errc::not_enough_memory);
    return result;
  }
  const std::size_t asked = std::min(max_bytes, chain_space(fresh));
  const long n = eddy::sys::read_raw(fd, chain_space_ptr(fresh), asked);
  if (n <= 0) {
    eddy::compat::chain_free(fresh);
    result = result_of(n);
    result.eof = n == 0;
    return result;
  }
  // The buffer had no chain: the new one is all of it.
  const auto got = static_cast<std::size_t>(n);
  fresh->next = nullptr;
  fresh->off = got;
  first = last = fresh;
  last_with_datap = &first;
  total_len += got;
  n_add_for_cb += got;
  if (got == asked) {
    read_offer = 2;
  }
  result.bytes = got;
  return result;
}

eddy::IoResult evbuffer::read_into_chains(int fd, std::size_t max_bytes) noexcept {
  eddy::IoResult result;
  if (max_bytes == 0) {
    return result;
  }
  free_unwritable_tail();
  if (evbuffer_chain* c = *last_with_datap; c != nullptr && c->off == 0) {
    c->misalign = 0;
  }
  std::size_t room = 0;
  int used = 0;
  evbuffer_chain* x = first_with_space();
  for (; x != nullptr && used < kReadVecs; x = x->next) {
    room += chain_space(x);
    ++used;
  }
  evbuffer_chain* const before_added = last;
  bool added = false;
  // Fresh chains: as many as the last read filled, one more each time a
  // read fills all it was offered (up to kReadVecs in all), so that a
  // connection of short messages takes and gives back one chain a read,
  // not four.
  const int fresh_limit = std::min<int>(kReadVecs, used + read_offer);
  while (room < max_bytes && x == nullptr && used < fresh_limit) {
    evbuffer_chain* fresh = chain_new(std::min(max_bytes - room, kReadChainCapacity));
    if (fresh == nullptr) {
      break;
    }
    link_at_end(fresh);
    added = true;
    room += chain_space(fresh);
    ++used;
  }
  if (room == 0) {
    result.error = std::make_error_code(std::errc::not_enough_memory);
    return result;
  }
  iovec vec[kReadVecs];
  const int n_vecs = space_vecs(max_bytes, vec, kReadVecs);
  std::size_t asked = 0;
  for (int i = 0; i < n_vecs; ++i) {
    vec[i].iov_len = std::min(vec[i].iov_len, max_bytes - asked);
    asked += vec[i].iov_len;
  }
  const long n = eddy::sys::readv_raw(fd, vec, static_cast<std::size_t>(n_vecs));
  result = result_of(n);
  result.eof = n == 0;
  // The bytes fill the extents in order.
  std::size_t left = result.bytes;
  for (evbuffer_chain* c = first_with_space(); left != 0; c = c->next) {
    const std::size_t k = std::min(left, chain_space(c));
    c->off += k;
    left -= k;
    if (k != 0) {
      mark_written(c);
    }
  }
  total_len += result.bytes;
  n_add_for_cb += result.bytes;
  if (result.bytes != 0 && result.bytes == asked) {
    read_offer = static_cast<std::uint8_t>(std::min(kReadVecs, 2 * read_offer));
  } else if (result.bytes < asked / 2) {
    read_offer = 1;
  }
  if (added) {
    // The chains made here that got nothing go back to the cache: they are
    // the end of the list, since a read fills its extents in order.
    evbuffer_chain* keep = before_added;  // the last chain that stays
    for (evbuffer_chain* c = keep != nullptr ? keep->next : first; c != nullptr && c->off != 0; c = c->next) {
      keep = c;
    }
    if (keep == nullptr) {
      free_empty_tail();  // nothing was read into an empty buffer
    } else if (keep->next != nullptr) {
      free_after(keep);
    }
  }
  return result;
}

eddy::IoResult evbuffer::write_out(int fd, std::size_t max_bytes) noexcept {
  eddy::IoResult result;
  max_bytes = std::min(max_bytes, total_len);
  if (max_bytes == 0) {
    return result;
  }
  long n;
  if ((first->flags & kChainSendfile) != 0) {
    const evbuffer_file_segment* seg = first->owner.segment;
    off_t at = seg->file_offset + first->misalign;
    const std::size_t count = std::min(max_bytes, first->off);
    do {
      n = ::sendfile(fd, seg->fd, &at, count);
    } while (n < 0 && errno == EINTR);
    n = n < 0 ? -errno : n;
  } else if (first->off >= max_bytes) {
    // One chain holds it all (a short message): no vector to gather. Not
    // a file chain (above), so its bytes are in place.
    n = eddy::sys::send_raw(fd, first->buffer + first->misalign, max_bytes);
  } else {
    iovec vec[kWriteVecs];
    int count = 0;
    std::size_t gathered = 0;
    for (evbuffer_chain* c = first; c != nullptr && count < kWriteVecs && gathered < max_bytes; c = c->next) {
      if ((c->flags & kChainSendfile) != 0) {
        break;  // sent by a later call, with sendfile
      }
      if (c->off == 0) {
        continue;
      }
      vec[count].iov_base = chain_data(c);
      vec[count].iov_len = std::min(c->off, max_bytes - gathered);
      gathered += vec[count].iov_len;
      ++count;
    }
    n = eddy::sys::sendv_raw(fd, vec, static_cast<std::size_t>(count));
  }
  result = result_of(n);
  drain(result.bytes);
  return result;
}
