#pragma once

#include "load_options.hpp"
#include "load_stats.hpp"
#include "payload.hpp"

#include <eddy/clock.hpp>
#include <eddy/function.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace eddy {
class Loop;
}

namespace eddy_load {

// How long, after the stop, connections may take to bring back the
// messages still in flight before they are cut.
inline constexpr std::chrono::seconds kDrainTimeout{1};

// What a driver works with. Everything here belongs to one worker thread,
// except the options and the payload, which are shared read-only.
struct DriverContext {
  eddy::Loop& loop;
  const LoadOptions& options;
  const Payload& payload;
  ThreadStats& stats;
  std::size_t first_connection;  // global index of this thread's first connection
  std::size_t connection_count;  // connections (or UDP sockets) on this thread
};

// The traffic of one worker thread: TCP connections or UDP sockets that
// each keep `depth` messages in flight. Every member runs on the loop's
// thread; the worker calls them from tasks posted by the main thread.
class LoadDriver {
 public:
  virtual ~LoadDriver() = default;

  // Opens every connection. `on_connected` runs once, when each attempt has
  // succeeded or failed (failures are counted in the stats).
  virtual void connect(eddy::Function<void()> on_connected) = 0;
  // Begins sending on every open connection.
  virtual void start() = 0;
  // Stops sending and closes every connection: TCP ones once their messages
  // in flight have come back (at most kDrainTimeout), UDP ones at once.
  // When it is done no watcher or timer of the driver is left active, so
  // the loop's run() returns.
  virtual void stop() = 0;
  virtual std::size_t open_connections() const noexcept = 0;
};

// A TcpDriver or a UdpDriver, as the options say.
std::unique_ptr<LoadDriver> make_driver(const DriverContext& context);

// Messages connection `index` (global) sends in all: --messages spread over
// the connections, the first ones taking one more when it does not divide;
// unlimited without --messages.
std::uint64_t message_quota(const LoadOptions& options, std::size_t index) noexcept;

// A send buffer's size: whole messages, at least one, about 64 KiB, so that
// a batch of replies is answered with one write.
std::size_t batch_capacity(std::size_t message_size) noexcept;

}  // namespace eddy_load
