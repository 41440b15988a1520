// File segments (event2/buffer.h): a piece of a file shown by evbuffer
// chains without being copied into them. Pitfalls:
//
// - mmap(2) wants an offset that is a multiple of the page size: the
//   mapping starts at the page that holds the segment's first byte.
// - mmap(2) of zero bytes is EINVAL: an empty segment is read (into
//   nothing) instead.
// - pread(2) may return less than asked; it is called until done.
#include "evbuffer_file.hpp"
#include "evbuffer.hpp"
#include "evlock.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace eddy::compat {

int segment_materialize(evbuffer_file_segment* seg) noexcept {
  if (seg->contents != nullptr) {
    return 0;
  }
  const auto length = static_cast<std::size_t>(seg->length);
  if ((seg->flags & EVBUF_FS_DISABLE_MMAP) == 0 && length != 0) {
    const auto page = static_cast<ev_off_t>(::sysconf(_SC_PAGESIZE));
    const ev_off_t start = seg->file_offset - seg->file_offset % page;
    const ev_off_t lead = seg->file_offset - start;
    void* mapping = ::mmap(nullptr, length + static_cast<std::size_t>(lead), PROT_READ, MAP_PRIVATE, seg->fd, start);
    if (mapping != MAP_FAILED) {
      seg->mapping = mapping;
      seg->mmap_offset = lead;
      seg->contents = static_cast<char*>(mapping) + lead;
      seg->is_mapping = 1;
      return 0;
    }
  }
  auto* contents = static_cast<char*>(std::malloc(length != 0 ? length : 1));
  if (contents == nullptr) {
    return -1;
  }
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(seg->fd, contents + done, length - done, seg->file_offset + static_cast<ev_off_t>(done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      std::free(contents);
      return -1;  // an error, or the file is shorter than the segment
    }
    done += static_cast<std::size_t>(n);
  }
  seg->contents = contents;
  return 0;
}

}  // namespace eddy::compat

extern "C" {

struct evbuffer_file_segment* evbuffer_file_segment_new(int fd, ev_off_t offset, ev_off_t length, unsigned flags) {
  if (offset < 0) {
    return nullptr;
  }
  if (length == -1) {
    struct stat st {};
    if (::fstat(fd, &st) < 0 || st.st_size < offset) {
      return nullptr;
    }
    length = st.st_size - offset;
  }
  if (length < 0) {
    return nullptr;
  }
  auto* seg = static_cast<evbuffer_file_segment*>(std::calloc(1, sizeof(evbuffer_file_segment)));
  if (seg == nullptr) {
    return nullptr;
  }
  seg->refcnt = 1;
  seg->flags = flags;
  seg->fd = fd;
  seg->file_offset = offset;
  seg->length = length;
  seg->can_sendfile = (flags & EVBUF_FS_DISABLE_SENDFILE) == 0 ? 1 : 0;
  // A segment that can never be sent with sendfile is read in now, as
  // libevent does, so that a bad fd is reported here.
  if (seg->can_sendfile == 0 && eddy::compat::segment_materialize(seg) != 0) {
    std::free(seg);
    return nullptr;
  }
  return seg;
}

void evbuffer_file_segment_free(struct evbuffer_file_segment* seg) {
  if (seg == nullptr || --seg->refcnt > 0) {
    return;
  }
  if (seg->cleanup_cb != nullptr) {
    seg->cleanup_cb(seg, static_cast<int>(seg->flags), seg->cleanup_cb_arg);
  }
  if (seg->is_mapping != 0) {
    ::munmap(seg->mapping, static_cast<std::size_t>(seg->length + seg->mmap_offset));
  } else {
    std::free(seg->contents);
  }
  if ((seg->flags & EVBUF_FS_CLOSE_ON_FREE) != 0) {
    ::close(seg->fd);
  }
  std::free(seg);
}

void evbuffer_file_segment_add_cleanup_cb(struct evbuffer_file_segment* seg, evbuffer_file_segment_cleanup_cb cb,
                                          void* arg) {
  seg->cleanup_cb = cb;
  seg->cleanup_cb_arg = arg;
}

int evbuffer_add_file_segment(struct evbuffer* buf, struct evbuffer_file_segment* seg, ev_off_t offset,
                              ev_off_t length) {
  const eddy::compat::LockHeld held(buf->lock);
  if (buf->freeze_end) {
    return -1;
  }
  if (length < 0) {
    if (offset > seg->length) {
      return -1;
    }
    length = seg->length - offset;
  }
  if (offset < 0 || offset + length > seg->length) {
    return -1;
  }
  evbuffer_chain* chain = eddy::compat::chain_new_header();
  if (chain == nullptr) {
    return -1;
  }
  ++seg->refcnt;
  chain->flags = kChainFileSegment;
  chain->owner.segment = seg;
  chain->misalign = offset;
  chain->off = static_cast<std::size_t>(length);
  if (seg->can_sendfile != 0 && (buf->flags & EVBUFFER_FLAG_DRAINS_TO_FD) != 0) {
    // Read in only if someone looks at the bytes (chain_data).
    chain->flags |= kChainSendfile;
    chain->buffer_len = static_cast<std::size_t>(offset + length);
  } else {
    if (eddy::compat::segment_materialize(seg) != 0) {
      eddy::compat::chain_free(chain);
      return -1;
    }
    chain->flags |= kChainImmutable;
    chain->buffer = reinterpret_cast<unsigned char*>(seg->contents);
    chain->buffer_len = static_cast<std::size_t>(seg->length);
  }
  buf->append_chain(chain);
  buf->changed();
  return 0;
}

int evbuffer_add_file(struct evbuffer* buf, int fd, ev_off_t offset, ev_off_t length) {
  const eddy::compat::LockHeld held(buf->lock);
  evbuffer_file_segment* seg = evbuffer_file_segment_new(fd, offset, length, EVBUF_FS_CLOSE_ON_FREE);
  if (seg == nullptr) {
    return -1;
  }
  const int r = evbuffer_add_file_segment(buf, seg, 0, length);
  evbuffer_file_segment_free(seg);
  return r;
}

}  // extern "C"
