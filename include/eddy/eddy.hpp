#pragma once

// Convenience header: everything in eddy's public API.
#include <eddy/clock.hpp>
#include <eddy/function.hpp>
#include <eddy/io_events.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>
#include <eddy/signal_watcher.hpp>
#include <eddy/timer.hpp>
#include <eddy/unique_fd.hpp>
#include <eddy/version.hpp>
