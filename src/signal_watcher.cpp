#include "loop_core.hpp"

#include <eddy/loop.hpp>
#include <eddy/signal_watcher.hpp>

namespace eddy {

SignalWatcher::SignalWatcher(Loop& loop, int signo, Callback on_signal)
    : loop_(loop), signo_(signo), on_signal_(std::move(on_signal)) {}

SignalWatcher::~SignalWatcher() { stop(); }

void SignalWatcher::start() { loop_.core().signal_start(*this); }

void SignalWatcher::stop() noexcept { loop_.core().signal_stop(*this); }

}  // namespace eddy
