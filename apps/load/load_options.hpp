#pragma once

#include <eddy/socket_address.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>

namespace eddy_load {

// What the command line asked for, after CLI11 and main() have checked each
// flag and the combinations.
struct LoadOptions {
  std::string host = "127.0.0.1";  // numeric IPv4/IPv6, or "localhost"
  std::uint16_t port = 25341;      // the tutorial server's port
  eddy::SocketAddress server;      // host and port, resolved by main()

  std::size_t connections = 50;
  std::size_t depth = 1;  // messages in flight per connection; 1 is ping-pong
  std::size_t size = 64;  // bytes per message

  // A run ends at the first of: the duration, `messages` completed in all.
  // Without --messages the duration is 10 s; with it, there is no time
  // limit unless --duration was given too.
  std::optional<std::chrono::nanoseconds> duration = std::chrono::seconds(10);
  std::optional<std::uint64_t> messages;

  // Messages per second over all connections; 0 sends as fast as the echo
  // comes back. With a rate, latency is measured from each message's
  // scheduled send time (no coordinated omission).
  double rate = 0;

  bool udp = false;
  std::size_t threads = 1;
  std::string backend;  // "epoll" or "poll"; empty: EDDY_BACKEND, else epoll
  std::chrono::nanoseconds warmup{0};
  bool json = false;
  std::optional<pid_t> server_pid;
  std::chrono::milliseconds connect_timeout{2000};
};

}  // namespace eddy_load
