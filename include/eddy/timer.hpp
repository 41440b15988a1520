#pragma once

#include <eddy/clock.hpp>
#include <eddy/function.hpp>
#include <eddy/timer_node.hpp>


namespace eddy {

class Loop;

// Calls a function once after a timeout, or repeatedly.
//
// Deadlines are on CLOCK_MONOTONIC and a timer never fires early: its
// callback runs in the first iteration whose now() is at or past the
// deadline. Timers due in the same iteration fire in deadline order, and
// timers with equal deadlines in the order they were started. Waits shorter
// than a millisecond are honoured (epoll_pwait2 / ppoll take nanoseconds).
//
// start() and stop() cost O(log n) in the number of active timers (a 4-ary
// heap that stores each timer's index). For idle timeouts that move on every
// read, use refresh(): it only records the new deadline, and the heap is
// fixed up when the old one is reached.
//
// The callback may stop, restart or destroy the timer (and any other).
// Loop thread only. Not copyable or movable.
class Timer : public detail::TimerNode {
 public:
  using Callback = Function<void()>;

  Timer(Loop& loop, Callback on_expire);
  ~Timer();

  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  Timer(Timer&&) = delete;
  Timer& operator=(Timer&&) = delete;

  // Arms the timer to fire `timeout` from now (read from the clock, not the
  // cached Loop::now()), then every `repeat` if that is positive. Restarts an
  // active timer. A negative timeout counts as zero.
  void start(Duration timeout, Duration repeat = Duration::zero());

  // Re-arms with the timeout and repeat of the last start().
  void restart();

  // Moves the deadline to Loop::now() + the last start()'s timeout without
  // touching the heap when the deadline moves later (the usual case for an
  // idle timeout bumped on every read). Starts the timer if inactive.
  void refresh();

  // Disarms. Safe when inactive and inside any callback.
  void stop() noexcept;

  // is_active() and due() (when the callback is due) come from TimerNode.
  Duration timeout() const noexcept { return timeout_; }
  Duration repeat() const noexcept { return repeat_; }
  Loop& loop() const noexcept { return loop_; }

 private:
  // Re-arms a repeating timer before its callback runs, so that the
  // callback may stop or restart it.
  static void expire(TimerNode& node);

  Loop& loop_;
  Callback on_expire_;
  Duration timeout_{};
  Duration repeat_{};
};

}  // namespace eddy
