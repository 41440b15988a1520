// Buffer: reading from and writing to file descriptors.
//
// read_from's strategy, after muduo's extrabuf and libevent's
// evbuffer_read, without their costs: muduo reads the overflow into a
// 64 KiB stack array and copies it into the buffer; libevent 2.1 caps a read
// at 4 KiB. Here the overflow space is real blocks, taken from the pool for
// the duration of one readv and given back at once if unused, so the kernel
// can hand over 64 KiB in one call, no byte is copied twice, and an idle
// buffer still holds no block.
#include <eddy/buffer.hpp>

#include "block.hpp"
#include "buffer_blocks.hpp"
#include "sys/error.hpp"
#include "sys/raw_io.hpp"

#include <algorithm>
#include <cerrno>

namespace eddy {

using detail::Block;

namespace {
constexpr std::size_t kBlockSize = BlockPool::kBlockSize;
// Fresh blocks one readv is offered at most: 4 x 16 KiB = kDefaultReadSize.
constexpr std::size_t kMaxReadBlocks = Buffer::kDefaultReadSize / kBlockSize;
// Blocks gathered into one sendmsg/writev: 1 MiB of full blocks is more
// than a socket's send buffer takes at once, and far below IOV_MAX (1024).
constexpr std::size_t kMaxWriteBlocks = 64;

// What a raw call's result says, as an IoResult.
IoResult to_io_result(long n, bool is_read) noexcept {
  IoResult result;
  if (n > 0) {
    result.bytes = static_cast<std::size_t>(n);
  } else if (n == 0) {
    result.eof = is_read;
  } else if (!sys::is_would_block(n)) {
    result.error = sys::make_error(static_cast<int>(-n));
  }
  return result;
}
}  // namespace

IoResult Buffer::read_from(int fd, std::size_t max_bytes) {
  if (max_bytes == 0) {
    return {};
  }
  return to_io_result(read_some(fd, max_bytes), true);
}

IoResult Buffer::write_to(int fd, std::size_t max_bytes) noexcept {
  return to_io_result(write_some(fd, max_bytes), false);
}

long Buffer::read_vectored(int fd, std::size_t max_bytes, std::size_t tail_free) {
  if (tail_free >= max_bytes) {
    // The tail's free space is all this read offers.
    const long n = sys::read_raw(fd, tail_->data() + tail_->end, max_bytes);
    if (n > 0) {
      const auto got = static_cast<std::size_t>(n);
      tail_->end += got;
      size_ += got;
      adapt_read_size(max_bytes, got);
    }
    return n;
  }
  iovec iov[1 + kMaxReadBlocks];
  Block* fresh[kMaxReadBlocks];
  std::size_t count = 0;
  std::size_t fresh_count = 0;
  std::size_t offered = 0;
  std::size_t into_tail = 0;
  if (tail_free > 0) {
    into_tail = tail_free;  // below max_bytes here
    iov[count++] = iovec{tail_->data() + tail_->end, into_tail};
    offered = into_tail;
  }
  try {
    while (offered < max_bytes && fresh_count < read_blocks_) {
      Block* block = new_block(kBlockSize);
      fresh[fresh_count++] = block;
      const std::size_t k = std::min(block->capacity, max_bytes - offered);
      iov[count++] = iovec{block->data(), k};
      offered += k;
    }
  } catch (...) {
    for (std::size_t i = 0; i < fresh_count; ++i) {
      free_block(fresh[i]);
    }
    throw;
  }

  const long n = sys::readv_raw(fd, iov, count);
  std::size_t left = n > 0 ? static_cast<std::size_t>(n) : 0;
  const std::size_t got = left;
  const std::size_t k = std::min(left, into_tail);
  if (k > 0) {
    tail_->end += k;
    left -= k;
  }
  std::size_t used = 0;
  for (; used < fresh_count && left > 0; ++used) {
    Block* block = fresh[used];
    block->end = std::min(left, iov[count - fresh_count + used].iov_len);
    left -= block->end;
    push_back(block);
  }
  // Unused blocks go back last-taken first, so that the pool's free list
  // hands them out in the same order next time.
  for (std::size_t i = fresh_count; i > used; --i) {
    free_block(fresh[i - 1]);
  }
  size_ += got;
  if (got > 0) {
    adapt_read_size(offered, got);
  }
  return n;
}

long Buffer::write_vectored(int fd, std::size_t max_bytes) noexcept {
  iovec iov[kMaxWriteBlocks];
  std::size_t count = 0;
  std::size_t offered = 0;
  for (Block* block = head_; block != nullptr && count < kMaxWriteBlocks && offered < max_bytes; block = block->next) {
    if (!block->empty()) {
      const std::size_t k = std::min(block->readable(), max_bytes - offered);
      iov[count++] = iovec{block->readable_begin(), k};
      offered += k;
    }
  }
  if (count == 0) {
    return -EAGAIN;
  }
  const long n = sys::sendv_raw(fd, iov, count);
  if (n > 0) {
    drain(static_cast<std::size_t>(n));
  }
  return n;
}

}  // namespace eddy
