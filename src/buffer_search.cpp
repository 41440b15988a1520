// Buffer: looking into the chain - searching, lines, and making a prefix
// contiguous.
#include <eddy/buffer.hpp>

#include "block.hpp"
#include "buffer_blocks.hpp"

#include <algorithm>
#include <cstring>

namespace eddy {

using detail::Block;

namespace {

// Whether needle's bytes start at `offset` in `block`, following the chain
// as far as needed.
bool matches_at(const Block* block, std::size_t offset, std::string_view needle) noexcept {
  std::size_t matched = 0;
  for (; block != nullptr; block = block->next, offset = 0) {
    const std::size_t k = std::min(block->readable() - offset, needle.size() - matched);
    if (std::memcmp(block->readable_begin() + offset, needle.data() + matched, k) != 0) {
      return false;
    }
    matched += k;
    if (matched == needle.size()) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view Buffer::contiguous(std::size_t n) {
  n = std::min(n, size_);
  if (n == 0) {
    return {};
  }
  if (head_->readable() >= n) {
    return {head_->readable_begin(), n};
  }
  if (head_->capacity >= n) {
    // Gather into the head block: slide its data to the start if the bytes
    // would not fit after it, then pull from the blocks behind it.
    Block* head = head_;
    if (head->capacity - head->begin < n) {
      std::memmove(head->data(), head->readable_begin(), head->readable());
      head->end -= head->begin;
      head->begin = 0;
    }
    while (head->readable() < n) {
      Block* next = head->next;
      const std::size_t k = std::min(n - head->readable(), next->readable());
      std::memcpy(head->data() + head->end, next->readable_begin(), k);
      head->end += k;
      next->begin += k;
      if (next->empty()) {
        head->next = next->next;
        if (tail_ == next) {
          tail_ = head;
        }
        --blocks_;
        free_block(next);
      }
    }
  } else {
    Block* block = new_block_at_least(n);
    while (block->end < n) {
      const std::size_t k = std::min(n - block->end, head_->readable());
      std::memcpy(block->data() + block->end, head_->readable_begin(), k);
      block->end += k;
      head_->begin += k;
      if (head_->empty()) {
        pop_front();
      }
    }
    push_front(block);
  }
  return {head_->readable_begin(), n};
}

std::size_t Buffer::find(std::string_view needle, std::size_t from) const noexcept {
  if (from > size_) {
    return npos;
  }
  if (needle.empty()) {
    return from;
  }
  if (needle.size() > size_ - from) {
    return npos;
  }
  std::size_t position = 0;  // of the current block's first byte
  for (const Block* block = head_; block != nullptr; position += block->readable(), block = block->next) {
    const std::size_t length = block->readable();
    if (position + length <= from) {
      continue;
    }
    const std::size_t start = from > position ? from - position : 0;
    const std::string_view here(block->readable_begin(), length);
    // Matches that lie within this block: the library's search (memchr of
    // the first byte, then a compare).
    const std::size_t found = here.find(needle, start);
    if (found != std::string_view::npos) {
      return position + found;
    }
    // Matches that start in the last needle.size() - 1 bytes run into the
    // next blocks: compare those in place.
    const std::size_t tail = needle.size() - 1;
    for (std::size_t i = std::max(start, length > tail ? length - tail : 0); i < length; ++i) {
      if (here[i] == needle.front() && matches_at(block, i, needle)) {
        return position + i;
      }
    }
  }
  return npos;
}

std::size_t Buffer::find_byte(char byte, std::size_t limit) const noexcept {
  std::size_t position = 0;
  for (const Block* block = head_; block != nullptr && position < limit;
       position += block->readable(), block = block->next) {
    const char* begin = block->readable_begin();
    const std::size_t length = std::min(block->readable(), limit - position);
    const void* hit = std::memchr(begin, static_cast<unsigned char>(byte), length);
    if (hit != nullptr) {
      return position + static_cast<std::size_t>(static_cast<const char*>(hit) - begin);
    }
  }
  return npos;
}

bool Buffer::read_line(std::string& line, std::size_t max_length) {
  const std::size_t lf = find_byte('\n', max_length);
  if (lf == npos) {
    return false;
  }
  // resize() within the string's capacity does not allocate; the zeros it
  // writes are overwritten at once.
  line.resize(lf);
  copy_out(line.data(), lf);
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  drain(lf + 1);
  return true;
}

std::optional<std::string> Buffer::read_line(std::size_t max_length) {
  std::string line;
  if (!read_line(line, max_length)) {
    return std::nullopt;
  }
  return line;
}

}  // namespace eddy
