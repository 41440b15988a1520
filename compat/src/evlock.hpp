#pragma once

#include <event2/thread.h>

#include <functional>

// The locks of bufferevents and evbuffers (BEV_OPT_THREADSAFE,
// evbuffer_enable_locking): made and taken through the functions the
// program gave libevent (evthread_use_pthreads, evthread_set_lock_callbacks,
// lock debugging), as libevent's are. Without such functions no lock is
// made, and a null lock is never taken.
extern "C" struct evthread_lock_callbacks evthread_lock_fns_;

namespace eddy::compat {

// A new recursive lock, or nullptr when the program set no lock functions
// (or they failed).
inline void* lock_new() noexcept {
  return evthread_lock_fns_.alloc != nullptr ? evthread_lock_fns_.alloc(EVTHREAD_LOCKTYPE_RECURSIVE) : nullptr;
}

inline void lock_delete(void* lock) noexcept {
  if (lock != nullptr && evthread_lock_fns_.free != nullptr) {
    evthread_lock_fns_.free(lock, EVTHREAD_LOCKTYPE_RECURSIVE);
  }
}

inline void lock_acquire(void* lock) noexcept {
  if (lock != nullptr) {
    evthread_lock_fns_.lock(0, lock);
  }
}

inline void lock_release(void* lock) noexcept {
  if (lock != nullptr) {
    evthread_lock_fns_.unlock(0, lock);
  }
}

// Holds a lock (when there is one) for a scope.
class LockHeld {
 public:
  explicit LockHeld(void* lock) noexcept : lock_(lock) { lock_acquire(lock_); }
  ~LockHeld() { lock_release(lock_); }
  LockHeld(const LockHeld&) = delete;
  LockHeld& operator=(const LockHeld&) = delete;

 private:
  void* lock_;
};

// Holds the locks of two buffers, each once, in address order, so that two
// threads moving bytes between the same pair in opposite directions cannot
// wait for each other.
class TwoLocksHeld {
 public:
  TwoLocksHeld(void* a, void* b) noexcept
      : first_(std::less<void*>{}(a, b) ? a : b), second_(a == b ? nullptr : (std::less<void*>{}(a, b) ? b : a)) {
    lock_acquire(first_);
    lock_acquire(second_);
  }
  ~TwoLocksHeld() {
    lock_release(second_);
    lock_release(first_);
  }
  TwoLocksHeld(const TwoLocksHeld&) = delete;
  TwoLocksHeld& operator=(const TwoLocksHeld&) = delete;

 private:
  void* first_;
  void* second_;
};

}  // namespace eddy::compat
