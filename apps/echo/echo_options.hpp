#pragma once

#include <eddy/clock.hpp>
#include <eddy/log.hpp>
#include <eddy/socket_address.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace eddy_echo {

// What the command line asked for, after every flag has been checked
// (echo_cli.cpp). Zero durations and counts mean "none" where noted.
struct EchoOptions {
  eddy::SocketAddress address;       // --bind and --port: 0.0.0.0:25341, the tutorial server's
  std::size_t threads = 0;           // --threads: loops for TCP; 0 = one per core
  std::string backend;               // --backend: "epoll" or "poll"; empty = $EDDY_BACKEND, else epoll
  std::size_t max_connections = 0;   // --max-connections: 0 = no cap
  eddy::Duration idle_timeout{};     // --idle-timeout: 0 = connections may idle forever
  std::size_t max_buffer = 1 << 20;  // --max-buffer: queued output per connection that pauses reading
  eddy::Duration stats_interval{};   // --stats: 0 = no stats lines
  eddy::Duration shutdown_timeout = std::chrono::seconds(5);  // --shutdown-timeout: flush deadline on stop
  eddy::LogLevel log_level = eddy::LogLevel::kInfo;           // --log-level
  bool udp = false;                                           // --udp: datagram echo instead of TCP
  bool reuse_port = false;  // --reuse-port: SO_REUSEPORT, other processes may share the port
};

}  // namespace eddy_echo
