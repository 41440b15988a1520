#include "evbuffer_chain.hpp"

#include "evbuffer_file.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

namespace eddy::compat {
namespace {

// Free blocks kept per thread, one list per power of two from 1 KiB to
// 64 KiB (what reads and appends allocate). A bufferevent's input takes a
// block, evbuffer_add_buffer moves it to an output, the write frees it, and
// the next read finds it here. Blocks cross threads freely: each is plain
// malloc memory, cached by whichever thread frees it.
//
// Up to 1 MiB of each size: one loop iteration reads from every ready
// connection before the writes give the blocks back, so the cache must
// hold as many blocks as connections are ready at once (64 reads of 16
// KiB), or most reads of a busy loop go to malloc.
constexpr int kMinShift = 10;
constexpr int kMaxShift = 16;
constexpr int kClasses = kMaxShift - kMinShift + 1;
constexpr std::size_t kCachedBytesPerClass = 1024 * 1024;

constexpr int capacity_of(int c) noexcept { return static_cast<int>(kCachedBytesPerClass >> (kMinShift + c)); }

// A free block holds the link to the next one of its list.
struct FreeBlock {
  FreeBlock* next;
};

// Plain data, so that reaching it is one %fs-relative access: a
// thread_local with a destructor costs a guard check on every access. The
// destructor belongs to CacheReaper, touched once per thread, when the
// thread first caches a block.
struct BlockCache {
  FreeBlock* head[kClasses];
  int count[kClasses];
  bool reaper_armed;
  // Set at thread exit: a buffer freed later (a static's destructor) frees
  // its blocks straight away.
  bool dead;
};

// initial-exec: no __tls_get_addr call in the shared objects. The 88 bytes fit
// in the static TLS that glibc keeps for libraries loaded by dlopen.
[[gnu::tls_model("initial-exec")]] constinit thread_local BlockCache cache{};

struct CacheReaper {
  ~CacheReaper() {
    cache.dead = true;
    for (int c = 0; c < kClasses; ++c) {
      while (FreeBlock* b = cache.head[c]) {
        cache.head[c] = b->next;
        std::free(b);
      }
      cache.count[c] = 0;
    }
  }
};

[[gnu::noinline]] void arm_reaper() noexcept {
  thread_local CacheReaper reaper;
  static_cast<void>(reaper);
  cache.reaper_armed = true;
}

int class_of(std::size_t alloc) noexcept {
  // Not std::has_single_bit: without -mpopcnt it is a call into libgcc.
  if (alloc < kMinChainBlock || alloc > (std::size_t{1} << kMaxShift) || (alloc & (alloc - 1)) != 0) {
    return -1;
  }
  return std::countr_zero(alloc) - kMinShift;
}

void* take_block(std::size_t alloc) noexcept {
  const int c = class_of(alloc);
  if (c >= 0 && cache.head[c] != nullptr) {
    FreeBlock* b = cache.head[c];
    cache.head[c] = b->next;
    --cache.count[c];
    return b;
  }
  return std::malloc(alloc);
}

void give_block(void* block, std::size_t alloc) noexcept {
  const int c = class_of(alloc);
  if (c >= 0 && !cache.dead && cache.count[c] < capacity_of(c)) {
    if (!cache.reaper_armed) {
      arm_reaper();
    }
    auto* b = static_cast<FreeBlock*>(block);
    b->next = cache.head[c];
    cache.head[c] = b;
    ++cache.count[c];
    return;
  }
  std::free(block);
}

}  // namespace

evbuffer_chain* chain_new(std::size_t capacity) noexcept {
  constexpr std::size_t header = sizeof(evbuffer_chain);
  if (capacity > kChainMax - header) {
    return nullptr;
  }
  std::size_t alloc = capacity + header;
  if (alloc < kChainMax / 2) {
    alloc = std::max(kMinChainBlock, std::bit_ceil(alloc));
  }
  void* block = take_block(alloc);
  if (block == nullptr) {
    return nullptr;
  }
  auto* chain = static_cast<evbuffer_chain*>(block);
  std::memset(chain, 0, header);
  chain->buffer_len = alloc - header;
  chain->buffer = reinterpret_cast<unsigned char*>(chain + 1);
  chain->refcnt = 1;
  chain->alloc_size = alloc;
  return chain;
}

evbuffer_chain* chain_new_header() noexcept {
  auto* chain = static_cast<evbuffer_chain*>(std::calloc(1, sizeof(evbuffer_chain)));
  if (chain != nullptr) {
    chain->refcnt = 1;
  }
  return chain;
}

namespace {

// What a chain that is not plain memory holds besides itself. Out of line
// (it recurses for a multicast chain's parent), so that freeing a memory
// chain, once per message, needs no frame.
[[gnu::noinline]] void release_owner(evbuffer_chain* chain) noexcept {
  if ((chain->flags & kChainReference) != 0 && chain->owner.reference.cleanup != nullptr) {
    chain->owner.reference.cleanup(chain->buffer, chain->buffer_len, chain->owner.reference.extra);
  }
  if ((chain->flags & kChainFileSegment) != 0) {
    evbuffer_file_segment_free(chain->owner.segment);
  }
  if ((chain->flags & kChainMulticast) != 0) {
    chain_free(chain->owner.parent);
  }
}

}  // namespace

void chain_free(evbuffer_chain* chain) noexcept {
  if (--chain->refcnt > 0) {
    return;  // a multicast chain still shows its bytes
  }
  if ((chain->flags & (kChainReference | kChainFileSegment | kChainMulticast)) != 0) {
    release_owner(chain);
  }
  if (chain->alloc_size != 0) {
    give_block(chain, chain->alloc_size);
  } else {
    std::free(chain);
  }
}

void chain_free_list(evbuffer_chain* chain) noexcept {
  while (chain != nullptr) {
    evbuffer_chain* next = chain->next;
    chain_free(chain);
    chain = next;
  }
}

unsigned char* chain_data(evbuffer_chain* c) noexcept {
  if ((c->flags & kChainSendfile) != 0) {
    // Someone looks at bytes that were to go out with sendfile: show the
    // segment's contents in place instead.
    evbuffer_file_segment* seg = c->owner.segment;
    if (segment_materialize(seg) != 0) {
      return nullptr;
    }
    c->buffer = reinterpret_cast<unsigned char*>(seg->contents);
    c->buffer_len = static_cast<std::size_t>(seg->length);
    c->flags = (c->flags & ~kChainSendfile) | kChainImmutable;
  }
  return c->buffer + c->misalign;
}

void chain_align(evbuffer_chain* c) noexcept {
  std::memmove(c->buffer, c->buffer + c->misalign, c->off);
  c->misalign = 0;
}

}  // namespace eddy::compat
