#pragma once

#include <functional>
#include <mutex>

namespace eddy_load {

// The first SIGINT or SIGTERM, on its way from the thread that reads
// signals (InterruptSignals) to the run that must end early (run_load).
//
// The two sides start and end at different times: a signal may come before
// the run listens (while the threads start) or after it stopped listening
// (while the summary is printed), so the request is kept, and a listener
// that arrives late is called at once.
//
// Thread-safe. The listener runs on the thread that calls request(), or on
// the one that calls listen() when the request came first, with the
// request's lock held: it must be short and must not call back in.
class InterruptRequest {
 public:
  // Records `signo` and calls the listener, if any. Only the first call
  // counts; later ones do nothing.
  void request(int signo);

  // 0 until request() is called, then its signal.
  int signo() const;

  // Calls `listener` once: now when a request is already recorded, else on
  // request(). An empty listener stops listening: once listen() returns,
  // the previous listener is not called and not running.
  void listen(std::function<void(int signo)> listener);

 private:
  mutable std::mutex mutex_;
  int signo_ = 0;
  std::function<void(int signo)> listener_;
};

// "SIGINT" or "SIGTERM", the two signals eddy-load watches ("a signal" for
// any other): for the report and the messages.
const char* signal_name(int signo) noexcept;

}  // namespace eddy_load
