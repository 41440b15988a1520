#include "shutdown_signals.hpp"

#include "echo_cli.hpp"
#include "echo_log.hpp"

#include <eddy/log.hpp>

#include <csignal>
#include <cstdlib>
#include <string>

namespace eddy_echo {

namespace {

std::string signal_name(int signo) {
  switch (signo) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(signo);
  }
}

}  // namespace

ShutdownSignals::ShutdownSignals(eddy::Loop& loop, eddy::Function<void()> on_stop)
    : on_stop_(std::move(on_stop)),
      interrupt_(loop, SIGINT, [this](int signo) { on_stop_signal(signo); }),
      terminate_(loop, SIGTERM, [this](int signo) { on_stop_signal(signo); }),
      hangup_(loop, SIGHUP, [](int signo) {
        eddy::log(eddy::LogLevel::kInfo, signal_name(signo) + " ignored: there is nothing to reopen");
      }) {}

void ShutdownSignals::start() {
  interrupt_.start();
  terminate_.start();
  hangup_.start();
}

void ShutdownSignals::on_stop_signal(int signo) {
  if (stopping_) {
    // The graceful stop is waiting for clients that do not read; the
    // operator asked twice, so do not make them wait for the deadline.
    report("second signal (" + signal_name(signo) + "): exiting at once");
    std::_Exit(kExitSignalBase + signo);
  }
  stopping_ = true;
  report("shutting down");
  on_stop_();
}

}  // namespace eddy_echo
