#pragma once

#include <eddy/function.hpp>
#include <eddy/io_events.hpp>
#include <eddy/io_handle.hpp>

#include <system_error>

namespace eddy {

class Loop;

// Calls a function when a file descriptor becomes readable and/or writable.
//
// The watcher does not own the fd: the caller opens and closes it, and must
// stop (or destroy) the watcher before closing the fd. Only one watcher per
// fd may be active on a loop at a time. Readiness is level-triggered: the
// callback runs on every iteration while the fd stays ready and the interest
// is set.
//
// The callback receives the ready events, restricted to the current
// interest plus kError/kHangup. It may stop, restart or destroy this or any
// other watcher; a watcher stopped or destroyed is never called afterwards,
// even if its event was already collected in the current iteration, and an
// event collected for an fd before it was closed and reused never reaches
// the new fd's watcher. After destroying its own watcher a callback must not
// touch its captures (they were destroyed with it).
//
// Loop thread only. Not copyable or movable: the loop refers to it by address
// while it is active.
class IoWatcher : public detail::IoHandle {
 public:
  using Callback = Function<void(unsigned events)>;

  IoWatcher(Loop& loop, int fd, Callback on_ready);
  ~IoWatcher();

  IoWatcher(const IoWatcher&) = delete;
  IoWatcher& operator=(const IoWatcher&) = delete;
  IoWatcher(IoWatcher&&) = delete;
  IoWatcher& operator=(IoWatcher&&) = delete;

  // Starts watching for `events` (kReadable, kWritable or both), or changes
  // the interest of an active watcher. An empty interest stops the watcher.
  // Throws std::system_error when the backend refuses (EEXIST when another
  // watcher is active on this fd, EBADF, ENOMEM, ...).
  void start(unsigned events);
  // Same without exceptions: on failure sets `ec` and leaves the watcher as
  // it was.
  void start(unsigned events, std::error_code& ec) noexcept;

  // Stops watching. Safe to call when inactive, and from any callback.
  void stop() noexcept;

  // Watches another fd from now on. Only while inactive (throws
  // std::logic_error otherwise): an active registration is keyed by its fd.
  void set_fd(int fd);

  // Replaces the callback. Not from inside this watcher's own callback.
  void set_callback(Callback on_ready) noexcept { on_ready_ = std::move(on_ready); }

  // is_active(), events() and fd() come from IoHandle.
  Loop& loop() const noexcept { return loop_; }

 private:
  using IoHandle::reset_fd;  // set_fd() is the checked form

  static void dispatch(IoHandle& handle, unsigned events) {
    static_cast<IoWatcher&>(handle).on_ready_(events);
  }

  Loop& loop_;
  Callback on_ready_;
};

}  // namespace eddy
