#pragma once

#include <eddy/block_pool.hpp>
#include <eddy/io_result.hpp>

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace eddy {

namespace detail {
struct Block;
}

// A byte queue for network I/O: bytes go in at the tail (append, reserve +
// commit, read_from) and come out at the head (drain, remove, read_line,
// write_to). Binary-safe: zeros are bytes like any other.
//
//   head_                                              tail_
//    |                                                   |
//    v                                                   v
//   [ drained | data ] -> [ data........... ] -> [ data | free ] -> nullptr
//     ^ prepend reuses      full middle blocks      ^ append and read_from
//       this space                                    fill this space first
//
//   Each block: [ free before | readable: begin..end | free after ].
//
// Invariants:
//   - size() is the sum of the blocks' readable bytes.
//   - Empty buffer <=> no blocks at all (head_ == tail_ == nullptr). drain()
//     gives a block back the moment its last byte goes, so an idle
//     connection's Buffer holds no memory. The one exception: reserve() may
//     leave an empty block at the tail until commit().
//   - Every block but the tail holds at least one byte.
//
// Why a singly linked chain rather than a ring of block pointers: drain pops
// the head and append pushes the tail, both O(1); append(Buffer&&) splices a
// whole chain in O(1) whatever its length; and a chain never has to grow an
// array, which would allocate once a buffer outgrew it. Nothing needs to walk
// backwards. The link lives in the block header, so the chain costs no
// memory of its own.
//
// Memory: blocks come from the BlockPool given to the constructor (one per
// loop); without one they are allocated and freed with operator new/delete,
// which costs a malloc per block. Blocks have BlockPool::kBlockSize bytes of
// payload, with two exceptions sized exactly: without a pool, the part of an
// append beyond the tail's free space goes into one block of its size (one
// malloc rather than several); and reserve(n) or contiguous(n) for n above
// kBlockSize need n contiguous bytes. With a pool, a steady state of
// appends, drains, reads and writes allocates nothing, whatever the message
// size.
//
// Not thread-safe: a Buffer belongs to the thread of its pool. To hand bytes
// to another loop, post the Buffer there and append(Buffer&&) it to a buffer
// of that loop: that touches only the receiving pool and leaves the posted
// Buffer empty, holding nothing to give back to its own pool.
class Buffer {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  // read_from offers the kernel at most this much per call by default.
  static constexpr std::size_t kDefaultReadSize = 64 * 1024;
  // read_line's default limit on a line, end of line included.
  static constexpr std::size_t kDefaultMaxLine = 64 * 1024;

  // Blocks from plain operator new; no pool.
  Buffer() noexcept = default;
  // Blocks from `pool`, which must outlive the buffer.
  explicit Buffer(BlockPool& pool) noexcept : pool_(&pool) {}
  ~Buffer() { clear(); }

  // Moving takes the blocks and the pool pointer; `other` is left empty and
  // keeps its pool.
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // Blocks in the chain (an empty buffer has none).
  std::size_t block_count() const noexcept { return blocks_; }
  BlockPool* pool() const noexcept { return pool_; }

  // --- Adding bytes -------------------------------------------------------

  // Copies n bytes to the end: into the tail's free space first, then into
  // new blocks (as many pooled blocks as needed; without a pool, one block
  // of the remaining size). Throws std::bad_alloc (the buffer then holds a prefix of the
  // data: whatever was copied before the allocation failed).
  void append(const void* data, std::size_t n);
  void append(std::string_view bytes) { append(bytes.data(), bytes.size()); }

  // Moves all of other's bytes to the end of this buffer and leaves other
  // empty, by relinking other's blocks: no byte is copied, whichever pools
  // the two use. One exception keeps memory proportional to data: leading
  // blocks of other that hold at most 4 KiB in all and fit into this
  // buffer's tail are copied there and their blocks given back, so moving
  // many small messages does not pin a 16 KiB block for each (folly's
  // IOBufQueue packs the same way). Blocks that other gives up go to this
  // buffer's pool: only this buffer's pool is touched, so a Buffer posted to
  // another loop's thread may be appended there to a buffer of that loop.
  // Self-append does nothing.
  void append(Buffer&& other) noexcept;

  // Copies n bytes to the front. Uses the free space before the head's data
  // when there is some (the tail end of `data` goes there), else adds a
  // block at the head with the data at its end, leaving room for further
  // prepends. On an empty buffer it is append(). Throws std::bad_alloc.
  void prepend(const void* data, std::size_t n);
  void prepend(std::string_view bytes) { prepend(bytes.data(), bytes.size()); }

  // Writable space of at least n contiguous bytes at the tail, for a caller
  // that produces data in place (a formatter, a decoder). Adds a block when
  // the tail's free space is short. The span is all of that free space and
  // may be longer than n; n == 0 returns the tail's free space as it is,
  // possibly empty, and allocates nothing. Throws std::bad_alloc.
  std::span<char> reserve(std::size_t n);
  // Makes the first n bytes of the last reserve() readable (n at most the
  // span's size). Any other change to the buffer between reserve() and
  // commit() voids the span. commit(0) after reserving a new block gives
  // the block back.
  void commit(std::size_t n) noexcept;

  // --- Looking at bytes without removing them ----------------------------

  // The head block's bytes: the longest prefix available without copying.
  // Empty view when the buffer is empty.
  std::string_view front() const noexcept;

  // Fills `out` with the first out.size() blocks' data, head first, and
  // returns how many entries it used (ready for writev, or for parsing in
  // place).
  std::size_t peek(std::span<iovec> out) const noexcept;

  // Copies the first min(n, size()) bytes to dest; returns how many.
  std::size_t copy_out(void* dest, std::size_t n) const noexcept;

  // Makes the first min(n, size()) bytes contiguous and returns them. Copies
  // only when they span blocks: into the head block when it has the room,
  // else into a new block at the head. The view lives until the next change
  // to the buffer. Throws std::bad_alloc.
  std::string_view contiguous(std::size_t n);

  // Position of the first occurrence of needle at or after `from`, or npos.
  // Matches spanning any number of blocks are found; nothing is copied. An
  // empty needle matches at `from` when from <= size().
  std::size_t find(std::string_view needle, std::size_t from = 0) const noexcept;
  // Position of the first `byte` among the first `limit` bytes, or npos.
  std::size_t find_byte(char byte, std::size_t limit = npos) const noexcept;

  // --- Removing bytes -----------------------------------------------------

  // Removes the first n bytes (all of them when n >= size()), giving each
  // emptied block back at once.
  void drain(std::size_t n) noexcept;
  // Removes everything and gives every block back.
  void clear() noexcept;

  // copy_out() then drain() of what was copied; returns how many bytes.
  std::size_t remove(void* dest, std::size_t n) noexcept;

  // Takes one line. A line ends at LF; a CR just before the LF belongs to
  // the end of line too (CRLF), a CR anywhere else is data. When an LF is
  // among the first max_length bytes, assigns the line without its end of
  // line to `line`, drains the line and its end of line, and returns true.
  // Otherwise returns false and changes nothing: either the line is not
  // complete yet, or - when size() >= max_length - it is too long, and the
  // caller decides (close the connection, or find_byte('\n') and drain).
  // `line` keeps its capacity, so reusing one string allocates nothing once
  // it has grown to the longest line.
  bool read_line(std::string& line, std::size_t max_length = kDefaultMaxLine);
  // The same, returning the line (allocates for lines beyond the small
  // string size).
  std::optional<std::string> read_line(std::size_t max_length = kDefaultMaxLine);

  // --- Kernel I/O (non-blocking fds) -------------------------------------

  // One readv(2) into the tail's free space plus fresh 16 KiB blocks,
  // offering at most max_bytes (a plain read(2) when the offer is one
  // piece: the tail's free space alone, or one fresh block). How many
  // fresh blocks adapts to the stream: one to start with, twice as many
  // (up to four: 64 KiB) after a read that filled all it was offered, one
  // fewer after a read that left a whole block empty. Hysteresis: each
  // such shrink doubles how many reads must fill their offer before it
  // grows again (up to 64), and a bigger offer that fills resets that to
  // one. A stream of small messages takes one block per read, a bulk
  // stream gets 64 KiB reads, and a stream of one-block messages settles
  // on one block instead of flipping between one and two. Blocks that got
  // no data go straight back to the pool: reads are large, idle buffers
  // small. Returns the
  // bytes read; eof when the peer closed; an error; or would_block()
  // (EAGAIN). max_bytes == 0 reads nothing and returns would_block().
  // Throws std::bad_alloc when a block cannot be allocated.
  IoResult read_from(int fd, std::size_t max_bytes = kDefaultReadSize);

  // Writes up to max_bytes from the head with one gathering call of up to
  // 64 blocks (1 MiB in full blocks), and drains what the kernel took.
  // Sockets get sendmsg(MSG_NOSIGNAL), or send(MSG_NOSIGNAL) for one block:
  // a reset peer is an EPIPE error, never SIGPIPE. Other fds (ENOTSOCK) get
  // writev(2) or write(2) in the same call - a pipe
  // whose reader has gone then raises SIGPIPE as for any write. Returns the
  // bytes written, an error, or would_block() (EAGAIN); eof is never set. An
  // empty buffer, or max_bytes == 0, makes no system call and returns
  // would_block().
  IoResult write_to(int fd, std::size_t max_bytes = SIZE_MAX) noexcept;

 private:
  // TcpConnection's per-message path calls read_some/write_some.
  friend class TcpConnection;

  // read_from and write_to as the kernel answers: the bytes moved (> 0); 0
  // at end of file (read_some), or when the kernel took nothing
  // (write_some); or minus the errno, -EAGAIN when the call would block.
  // No std::error_code is built, so the common outcomes cost a compare.
  // max_bytes == 0 and an empty buffer (write_some) give -EAGAIN without
  // a system call. read_some throws std::bad_alloc as read_from does.
  // Inline (src/buffer_blocks.hpp) for the one-block case; the others are
  // read_vectored and write_vectored.
  inline long read_some(int fd, std::size_t max_bytes);
  inline long write_some(int fd, std::size_t max_bytes) noexcept;
  long read_vectored(int fd, std::size_t max_bytes, std::size_t tail_free);
  long write_vectored(int fd, std::size_t max_bytes) noexcept;

  // The helpers marked inline run once per message or more; they are
  // defined in src/buffer_blocks.hpp, which each of their callers' sources
  // includes.
  // A block for an append of `wanted` bytes: pooled when there is a pool
  // (it may hold fewer), else one of max(wanted, kBlockSize) bytes.
  inline detail::Block* new_block(std::size_t wanted);
  // A block that holds at least n bytes.
  detail::Block* new_block_at_least(std::size_t n);
  inline void free_block(detail::Block* block) noexcept;
  inline void push_back(detail::Block* block) noexcept;
  void push_front(detail::Block* block) noexcept;
  inline detail::Block* unlink_front() noexcept;
  inline void pop_front() noexcept;
  // The tail when it is an empty block left by reserve(), unlinked; else
  // nullptr.
  detail::Block* unlink_empty_tail() noexcept;
  void drop_empty_tail() noexcept;
  // read_from's adaptation of read_blocks_ to what the last read got.
  static constexpr unsigned kMaxGrowAfter = 64;
  inline void adapt_read_size(std::size_t offered, std::size_t got) noexcept;

  detail::Block* head_ = nullptr;
  detail::Block* tail_ = nullptr;
  std::size_t size_ = 0;
  std::uint32_t blocks_ = 0;
  std::uint8_t read_blocks_ = 1;  // fresh blocks the next read_from offers (1 to 4)
  std::uint8_t full_reads_ = 0;   // reads that filled their offer since it last grew or shrank
  std::uint8_t grow_after_ = 1;   // full reads that make the offer grow (1 to kMaxGrowAfter)
  BlockPool* pool_ = nullptr;
};

}  // namespace eddy
