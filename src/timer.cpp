#include "loop_core.hpp"

#include <eddy/loop.hpp>
#include <eddy/timer.hpp>

namespace eddy {

Timer::Timer(Loop& loop, Callback on_expire)
    : TimerNode(&Timer::expire), loop_(loop), on_expire_(std::move(on_expire)) {}

void Timer::expire(TimerNode& node) {
  auto& timer = static_cast<Timer&>(node);
  if (timer.repeat_ > Duration::zero()) {
    TimePoint next = timer.due() + timer.repeat_;
    const TimePoint now = timer.loop_.now();
    if (next <= now) {
      // Fell behind by more than one period: skip the missed ticks rather
      // than firing a burst.
      next = now + timer.repeat_;
    }
    timer.loop_.core().timer_schedule(timer, next);
  }
  timer.on_expire_();  // may destroy the timer: not touched below
}

Timer::~Timer() { stop(); }

void Timer::start(Duration timeout, Duration repeat) {
  timeout_ = timeout < Duration::zero() ? Duration::zero() : timeout;
  repeat_ = repeat < Duration::zero() ? Duration::zero() : repeat;
  loop_.core().timer_schedule(*this, Clock::now() + timeout_);
}

void Timer::restart() { start(timeout_, repeat_); }

void Timer::refresh() { loop_.core().timer_postpone(*this, loop_.now() + timeout_); }

void Timer::stop() noexcept { loop_.core().timer_cancel(*this); }

}  // namespace eddy
