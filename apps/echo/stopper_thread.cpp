#include "stopper_thread.hpp"

namespace eddy_echo {

StopperThread::StopperThread(std::function<void()> work) : work_(std::move(work)), thread_([this] { run(); }) {}

StopperThread::~StopperThread() {
  {
    const std::lock_guard lock(mutex_);
    if (state_ == State::kWaiting) {
      state_ = State::kCancelled;
    }
  }
  changed_.notify_one();
  thread_.join();
}

void StopperThread::trigger() {
  {
    const std::lock_guard lock(mutex_);
    if (state_ != State::kWaiting) {
      return;
    }
    state_ = State::kTriggered;
  }
  changed_.notify_one();
}

void StopperThread::run() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return state_ != State::kWaiting; });
  if (state_ == State::kTriggered) {
    lock.unlock();
    work_();
  }
}

}  // namespace eddy_echo
