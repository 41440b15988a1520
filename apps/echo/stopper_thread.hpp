#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace eddy_echo {

// A thread that waits, then runs one function when triggered: for a
// blocking call (TcpServer::stop) that a signal asks for, while the loop
// that took the signal must stay free for the next one.
//
// The thread starts in the constructor, not when the signal comes: creating
// a thread can fail for lack of resources, which is exactly when a server is
// likely to be asked to stop. Create it after the signal watchers start, so
// that it inherits their blocked signals like every other thread.
class StopperThread {
 public:
  explicit StopperThread(std::function<void()> work);
  // Without a trigger, the thread ends without running the work. Joins.
  ~StopperThread();

  StopperThread(const StopperThread&) = delete;
  StopperThread& operator=(const StopperThread&) = delete;

  // Runs the work on the thread. From any thread; later calls do nothing.
  void trigger();

 private:
  enum class State { kWaiting, kTriggered, kCancelled };

  void run();

  std::function<void()> work_;
  std::mutex mutex_;
  std::condition_variable changed_;
  State state_ = State::kWaiting;
  std::thread thread_;  // last: starts once everything it uses exists
};

}  // namespace eddy_echo
