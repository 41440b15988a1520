// libevent's thread set-up (event2/thread.h): lock, condition and thread-id
// functions, pthread-based ones, and lock debugging.
//
// The callbacks live in libevent's own globals (evthread_lock_fns_ and the
// rest) because programs built against libevent's headers read them
// directly: on ELF platforms libevent's internal lock macros, which its own
// regression tests use, expand to calls through these structures. Nothing
// in eddy's loop needs them (a base hands calls from other threads to its
// loop thread); bufferevents made with BEV_OPT_THREADSAFE and evbuffers
// with evbuffer_enable_locking() take locks made by them.
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>

#include "log.hpp"

#include <pthread.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <new>

extern "C" {
struct evthread_lock_callbacks evthread_lock_fns_ = {0, 0, nullptr, nullptr, nullptr, nullptr};
struct evthread_condition_callbacks evthread_cond_fns_ = {0, nullptr, nullptr, nullptr, nullptr};
unsigned long (*evthread_id_fn_)(void) = nullptr;
int evthread_lock_debugging_enabled_ = 0;
}

namespace {

// The functions evthread_enable_lock_debugging() wrapped.
evthread_lock_callbacks original_lock_fns;
evthread_condition_callbacks original_cond_fns;

// pthreads.

void* pthread_lock_alloc(unsigned locktype) {
  auto* mutex = new (std::nothrow) pthread_mutex_t;
  if (mutex == nullptr) {
    return nullptr;
  }
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  if ((locktype & EVTHREAD_LOCKTYPE_RECURSIVE) != 0) {
    pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  }
  const int error = pthread_mutex_init(mutex, &attributes);
  pthread_mutexattr_destroy(&attributes);
  if (error != 0) {
    delete mutex;
    return nullptr;
  }
  return mutex;
}

void pthread_lock_free(void* lock, unsigned /*locktype*/) {
  auto* mutex = static_cast<pthread_mutex_t*>(lock);
  pthread_mutex_destroy(mutex);
  delete mutex;
}

int pthread_lock_lock(unsigned mode, void* lock) {
  auto* mutex = static_cast<pthread_mutex_t*>(lock);
  return (mode & EVTHREAD_TRY) != 0 ? pthread_mutex_trylock(mutex) : pthread_mutex_lock(mutex);
}

int pthread_lock_unlock(unsigned /*mode*/, void* lock) { return pthread_mutex_unlock(static_cast<pthread_mutex_t*>(lock)); }

unsigned long pthread_id() { return static_cast<unsigned long>(pthread_self()); }

// Timed waits measure the monotonic clock, so that a change of the wall
// clock neither shortens nor stretches them.
void* pthread_cond_alloc(unsigned /*condtype*/) {
  auto* cond = new (std::nothrow) pthread_cond_t;
  if (cond == nullptr) {
    return nullptr;
  }
  pthread_condattr_t attributes;
  pthread_condattr_init(&attributes);
  pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
  const int error = pthread_cond_init(cond, &attributes);
  pthread_condattr_destroy(&attributes);
  if (error != 0) {
    delete cond;
    return nullptr;
  }
  return cond;
}

void pthread_cond_free(void* cond) {
  auto* c = static_cast<pthread_cond_t*>(cond);
  pthread_cond_destroy(c);
  delete c;
}

int pthread_cond_signal_or_broadcast(void* cond, int broadcast) {
  auto* c = static_cast<pthread_cond_t*>(cond);
  return (broadcast != 0 ? pthread_cond_broadcast(c) : pthread_cond_signal(c)) == 0 ? 0 : -1;
}

int pthread_cond_wait_for(void* cond, void* lock, const struct timeval* timeout) {
  auto* c = static_cast<pthread_cond_t*>(cond);
  auto* mutex = static_cast<pthread_mutex_t*>(lock);
  if (timeout == nullptr) {
    return pthread_cond_wait(c, mutex) == 0 ? 0 : -1;
  }
  timespec deadline{};
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += timeout->tv_sec;
  deadline.tv_nsec += timeout->tv_usec * 1000L;
  if (deadline.tv_nsec >= 1'000'000'000L) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1'000'000'000L;
  }
  const int error = pthread_cond_timedwait(c, mutex, &deadline);
  return error == 0 ? 0 : error == ETIMEDOUT ? 1 : -1;
}

// Lock debugging: each lock is wrapped in a record of who holds it.

constexpr unsigned kDebugSignature = 0xdeb0b10cU;

struct DebugLock {
  unsigned signature;
  unsigned locktype;
  unsigned long held_by;
  int count;  // how many times held_by holds it
  void* real;
};

unsigned long current_thread() { return evthread_id_fn_ != nullptr ? evthread_id_fn_() : 1; }

[[noreturn]] void lock_misuse(const char* what) {
  char message[160];
  std::snprintf(message, sizeof message, "lock debugging: %s", what);
  eddy::compat::fatal_misuse(message);
}

DebugLock* as_debug_lock(void* lock) {
  auto* debug = static_cast<DebugLock*>(lock);
  if (debug->signature != kDebugSignature) {
    lock_misuse("not a lock made by the debugging allocator");
  }
  return debug;
}

void* debug_lock_alloc(unsigned locktype) {
  void* real = nullptr;
  if (original_lock_fns.alloc != nullptr) {
    real = original_lock_fns.alloc(locktype | EVTHREAD_LOCKTYPE_RECURSIVE);
    if (real == nullptr) {
      return nullptr;
    }
  }
  return new DebugLock{kDebugSignature, locktype, 0, 0, real};
}

void debug_lock_free(void* lock, unsigned locktype) {
  DebugLock* debug = as_debug_lock(lock);
  if (debug->count != 0) {
    lock_misuse("freeing a lock that is held");
  }
  if (debug->locktype != locktype) {
    lock_misuse("freeing a lock as another type than it was made");
  }
  if (original_lock_fns.free != nullptr) {
    original_lock_fns.free(debug->real, debug->locktype | EVTHREAD_LOCKTYPE_RECURSIVE);
  }
  debug->signature = 0;
  delete debug;
}

void note_acquired(DebugLock* debug) {
  const unsigned long me = current_thread();
  if (debug->count > 0 && debug->held_by != me) {
    lock_misuse("acquired a lock another thread holds");
  }
  if (debug->count > 0 && (debug->locktype & EVTHREAD_LOCKTYPE_RECURSIVE) == 0) {
    lock_misuse("relocked a lock that is not recursive");
  }
  debug->held_by = me;
  ++debug->count;
}

void note_released(DebugLock* debug) {
  if (debug->count <= 0 || debug->held_by != current_thread()) {
    lock_misuse("unlocked a lock this thread does not hold");
  }
  if (--debug->count == 0) {
    debug->held_by = 0;
  }
}

int debug_lock_lock(unsigned mode, void* lock) {
  DebugLock* debug = as_debug_lock(lock);
  const int result = original_lock_fns.lock != nullptr ? original_lock_fns.lock(mode, debug->real) : 0;
  if (result == 0) {
    note_acquired(debug);
  }
  return result;
}

int debug_lock_unlock(unsigned mode, void* lock) {
  DebugLock* debug = as_debug_lock(lock);
  note_released(debug);
  return original_lock_fns.unlock != nullptr ? original_lock_fns.unlock(mode, debug->real) : 0;
}

int debug_cond_wait(void* cond, void* lock, const struct timeval* timeout) {
  DebugLock* debug = as_debug_lock(lock);
  note_released(debug);  // the wait gives it up...
  const int result = original_cond_fns.wait_condition(cond, debug->real, timeout);
  note_acquired(debug);  // ...and has it again on return
  return result;
}

bool complete(const evthread_lock_callbacks& c) {
  return c.alloc != nullptr && c.free != nullptr && c.lock != nullptr && c.unlock != nullptr;
}

bool same(const evthread_lock_callbacks& a, const evthread_lock_callbacks& b) {
  return a.lock_api_version == b.lock_api_version && a.supported_locktypes == b.supported_locktypes &&
         a.alloc == b.alloc && a.free == b.free && a.lock == b.lock && a.unlock == b.unlock;
}

}  // namespace

extern "C" {

int evthread_set_lock_callbacks(const struct evthread_lock_callbacks* callbacks) {
  // With debugging on, the functions in use are the wrappers; the ones the
  // program gave are the wrapped ones.
  evthread_lock_callbacks& target = evthread_lock_debugging_enabled_ != 0 ? original_lock_fns : evthread_lock_fns_;
  if (callbacks == nullptr) {
    if (target.alloc != nullptr) {
      EDDY_COMPAT_WARN("turning lock functions off after locks were made with them is unsafe");
    }
    target = {};
    return 0;
  }
  if (target.alloc != nullptr) {
    if (same(target, *callbacks)) {
      return 0;
    }
    EDDY_COMPAT_WARN("lock functions cannot change once they are set");
    return -1;
  }
  if (!complete(*callbacks)) {
    return -1;
  }
  target = *callbacks;
  return 0;
}

int evthread_set_condition_callbacks(const struct evthread_condition_callbacks* callbacks) {
  evthread_condition_callbacks& target =
      evthread_lock_debugging_enabled_ != 0 ? original_cond_fns : evthread_cond_fns_;
  if (callbacks == nullptr) {
    target = {};
    return 0;
  }
  if (target.alloc_condition != nullptr) {
    const bool identical = target.alloc_condition == callbacks->alloc_condition &&
                           target.free_condition == callbacks->free_condition &&
                           target.signal_condition == callbacks->signal_condition &&
                           target.wait_condition == callbacks->wait_condition;
    if (!identical) {
      EDDY_COMPAT_WARN("condition functions cannot change once they are set");
    }
    return identical ? 0 : -1;
  }
  // libevent ignores an incomplete set and still answers 0.
  if (callbacks->alloc_condition == nullptr || callbacks->free_condition == nullptr ||
      callbacks->signal_condition == nullptr || callbacks->wait_condition == nullptr) {
    return 0;
  }
  target = *callbacks;
  if (evthread_lock_debugging_enabled_ != 0) {
    evthread_cond_fns_ = *callbacks;
    evthread_cond_fns_.wait_condition = debug_cond_wait;
  }
  return 0;
}

void evthread_set_id_callback(unsigned long (*id_fn)(void)) { evthread_id_fn_ = id_fn; }

int evthread_use_pthreads(void) {
  static const evthread_lock_callbacks locks = {EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE,
                                                pthread_lock_alloc,        pthread_lock_free,
                                                pthread_lock_lock,         pthread_lock_unlock};
  static const evthread_condition_callbacks conditions = {EVTHREAD_CONDITION_API_VERSION, pthread_cond_alloc,
                                                          pthread_cond_free, pthread_cond_signal_or_broadcast,
                                                          pthread_cond_wait_for};
  // As libevent's, it answers 0 even when other functions were set before
  // and stay (a warning says so).
  evthread_set_lock_callbacks(&locks);
  evthread_set_condition_callbacks(&conditions);
  evthread_set_id_callback(pthread_id);
  return 0;
}

int evthread_make_base_notifiable(struct event_base* base) { return base != nullptr ? 0 : -1; }

void evthread_enable_lock_debugging(void) {
  if (evthread_lock_debugging_enabled_ != 0) {
    return;
  }
  original_lock_fns = evthread_lock_fns_;
  evthread_lock_fns_ = {EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE, debug_lock_alloc, debug_lock_free,
                        debug_lock_lock,           debug_lock_unlock};
  original_cond_fns = evthread_cond_fns_;
  if (original_cond_fns.wait_condition != nullptr) {
    evthread_cond_fns_.wait_condition = debug_cond_wait;
  }
  evthread_lock_debugging_enabled_ = 1;
}

void evthread_enable_lock_debuging(void) { evthread_enable_lock_debugging(); }

// libevent's own exports for its internal macros and tests: the lock
// inside a debugging wrapper, and whether this thread holds one.
void* evthread_debug_get_real_lock_(void* lock) { return as_debug_lock(lock)->real; }

int evthread_is_debug_lock_held_(void* lock) {
  const DebugLock* debug = as_debug_lock(lock);
  return debug->count > 0 && debug->held_by == current_thread() ? 1 : 0;
}

const struct evthread_lock_callbacks* evthread_get_lock_callbacks(void) {
  return evthread_lock_debugging_enabled_ != 0 ? &original_lock_fns : &evthread_lock_fns_;
}

const struct evthread_condition_callbacks* evthread_get_condition_callbacks(void) {
  return evthread_lock_debugging_enabled_ != 0 ? &original_cond_fns : &evthread_cond_fns_;
}

// Turns debugging off again (libevent's tests do, between cases that fork).
void evthreadimpl_disable_lock_debugging_(void) {
  if (evthread_lock_debugging_enabled_ == 0) {
    return;
  }
  evthread_lock_fns_ = original_lock_fns;
  evthread_cond_fns_ = original_cond_fns;
  original_lock_fns = {};
  original_cond_fns = {};
  evthread_lock_debugging_enabled_ = 0;
}

}  // extern "C"
