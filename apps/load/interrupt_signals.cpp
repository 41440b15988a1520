#include "interrupt_signals.hpp"

#include "interrupt_request.hpp"

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <utility>

namespace eddy_load {

InterruptSignals::InterruptSignals(const std::string& backend, eddy::Function<void(int signo)> on_interrupt)
    : on_interrupt_(std::move(on_interrupt)) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  std::promise<void> started;
  std::future<void> ready = started.get_future();
  thread_ = std::thread([this, backend, started = std::move(started)]() mutable { run(backend, std::move(started)); });
  try {
    ready.get();
  } catch (...) {
    thread_.join();
    throw;
  }
}

InterruptSignals::~InterruptSignals() {
  // With no active watcher left, the thread's run() returns.
  loop_->post([this] {
    interrupt_->stop();
    terminate_->stop();
  });
  thread_.join();
}

void InterruptSignals::run(const std::string& backend, std::promise<void> started) {
  try {
    loop_.emplace(eddy::LoopOptions{backend});
    interrupt_.emplace(*loop_, SIGINT, [this](int signo) { on_signal(signo); });
    terminate_.emplace(*loop_, SIGTERM, [this](int signo) { on_signal(signo); });
    interrupt_->start();
    terminate_->start();
  } catch (...) {
    terminate_.reset();
    interrupt_.reset();
    loop_.reset();
    started.set_exception(std::current_exception());
    return;
  }
  started.set_value();
  loop_->run();
  // The watchers unregister from the loop, so they go first, on the thread
  // they belong to.
  terminate_.reset();
  interrupt_.reset();
  loop_.reset();
}

void InterruptSignals::on_signal(int signo) {
  if (interrupted_) {
    // The first one's stop may wait for a drain (up to a second) or for a
    // connect attempt; asked twice, the operator does not want to wait.
    std::fprintf(stderr, "eddy-load: second signal (%s): exiting at once\n", signal_name(signo));
    std::_Exit(128 + signo);
  }
  interrupted_ = true;
  std::fprintf(stderr, "eddy-load: interrupted by %s: stopping (a second one exits at once)\n", signal_name(signo));
  on_interrupt_(signo);
}

}  // namespace eddy_load
