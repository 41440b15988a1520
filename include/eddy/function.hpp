#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace eddy {

template <typename Signature>
class Function;

// A move-only callable wrapper with inline storage.
//
// Callables of up to kInlineSize bytes (a lambda capturing a few pointers or
// a std::unique_ptr) live inside the Function itself, so storing one never
// touches the heap; larger callables are heap-allocated. The loop uses it for
// watcher callbacks and for post()/defer() queues, which is what keeps the
// steady state free of allocations.
//
// Unlike std::function it accepts move-only callables and does not copy.
// Calling an empty Function is a programmer error (it aborts in checked builds
// through a null call).
template <typename R, typename... Args>
class Function<R(Args...)> {
 public:
  static constexpr std::size_t kInlineSize = 6 * sizeof(void*);

  Function() noexcept = default;
  Function(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)

  template <typename F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, Function> && std::is_invocable_r_v<R, F&, Args...>)
  Function(F&& f) {  // NOLINT(google-explicit-constructor)
    // decay, not remove_cvref: a function's name becomes a pointer to it.
    using Stored = std::decay_t<F>;
    if constexpr (fits_inline<Stored>()) {
      ::new (static_cast<void*>(storage_)) Stored(std::forward<F>(f));
      ops_ = &inline_ops<Stored>;
    } else {
      ::new (static_cast<void*>(storage_)) Stored*(new Stored(std::forward<F>(f)));
      ops_ = &heap_ops<Stored>;
    }
  }

  Function(Function&& other) noexcept { take(other); }

  Function& operator=(Function&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }

  Function& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }

  Function(const Function&) = delete;
  Function& operator=(const Function&) = delete;

  ~Function() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  R operator()(Args... args) { return ops_->invoke(storage_, std::forward<Args>(args)...); }

  // True when the wrapped callable lives in the inline storage (tests use it
  // to show which callables are allocation-free).
  bool is_inline() const noexcept { return ops_ != nullptr && ops_->inline_stored; }

 private:
  struct Ops {
    R (*invoke)(void* storage, Args&&... args);
    // Move-constructs into `to` from `from`, then destroys `from`.
    void (*relocate)(void* from, void* to) noexcept;
    void (*destroy)(void* storage) noexcept;
    bool inline_stored;
  };

  template <typename T>
  static constexpr bool fits_inline() {
    return sizeof(T) <= kInlineSize && alignof(T) <= alignof(std::max_align_t) &&
           std::is_nothrow_move_constructible_v<T>;
  }

  template <typename T>
  static constexpr Ops inline_ops = {
      [](void* s, Args&&... args) -> R { return (*static_cast<T*>(s))(std::forward<Args>(args)...); },
      [](void* from, void* to) noexcept {
        ::new (to) T(std::move(*static_cast<T*>(from)));
        static_cast<T*>(from)->~T();
      },
      [](void* s) noexcept { static_cast<T*>(s)->~T(); },
      true,
  };

  template <typename T>
  static constexpr Ops heap_ops = {
      [](void* s, Args&&... args) -> R { return (**static_cast<T**>(s))(std::forward<Args>(args)...); },
      [](void* from, void* to) noexcept { ::new (to) T*(*static_cast<T**>(from)); },
      [](void* s) noexcept { delete *static_cast<T**>(s); },
      false,
  };

  void take(Function& other) noexcept {
    if (other.ops_ != nullptr) {
      other.ops_->relocate(other.storage_, storage_);
      ops_ = other.ops_;
      other.ops_ = nullptr;
    }
  }

  void reset() noexcept {
    if (ops_ != nullptr) {
      const Ops* ops = ops_;
      ops_ = nullptr;
      ops->destroy(storage_);
    }
  }

  alignas(std::max_align_t) unsigned char storage_[kInlineSize];
  const Ops* ops_ = nullptr;
};

}  // namespace eddy
