#include "mem.hpp"

#include <event2/event.h>

#include <atomic>
#include <cstdlib>

namespace eddy::compat {
namespace {

std::atomic<void* (*)(std::size_t)> malloc_fn{nullptr};
std::atomic<void (*)(void*)> free_fn{nullptr};

}  // namespace

void* mem_malloc(std::size_t size) noexcept {
  void* (*fn)(std::size_t) = malloc_fn.load(std::memory_order_acquire);
  return fn != nullptr ? fn(size) : std::malloc(size);
}

void mem_free(void* p) noexcept {
  void (*fn)(void*) = free_fn.load(std::memory_order_acquire);
  if (fn != nullptr) {
    fn(p);
  } else {
    std::free(p);
  }
}

}  // namespace eddy::compat

extern "C" {

// The realloc function is not needed: nothing handed out is resized.
void event_set_mem_functions(void* (*malloc_fn)(size_t), void* (*)(void*, size_t), void (*free_fn)(void*)) {
  eddy::compat::malloc_fn.store(malloc_fn, std::memory_order_release);
  eddy::compat::free_fn.store(free_fn, std::memory_order_release);
}

}  // extern "C"
