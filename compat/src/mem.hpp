#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace eddy::compat {

// The allocator of the objects the C API hands out and takes back
// (event_base, event_config, events from event_new): malloc and free, or
// the functions given to event_set_mem_functions(), which programs call
// before anything else, as libevent requires. Programs check that these
// objects come from their allocator (libevent's regression tests do).
// eddy's own internals keep using operator new.
void* mem_malloc(std::size_t size) noexcept;
void mem_free(void* p) noexcept;

// Constructs a T in memory from mem_malloc(); nullptr if that fails. A
// constructor's exception propagates, after the memory is released.
template <typename T, typename... Args>
T* mem_new(Args&&... args) {
  void* p = mem_malloc(sizeof(T));
  if (p == nullptr) {
    return nullptr;
  }
  try {
    // Braces for an aggregate: Clang before 16 has no C++20 parenthesized
    // aggregate initialization.
    if constexpr (std::is_aggregate_v<T>) {
      return new (p) T{std::forward<Args>(args)...};
    } else {
      return new (p) T(std::forward<Args>(args)...);
    }
  } catch (...) {
    mem_free(p);
    throw;
  }
}

template <typename T>
void mem_delete(T* object) noexcept {
  if (object != nullptr) {
    object->~T();
    mem_free(object);
  }
}

}  // namespace eddy::compat
