#pragma once

#include <cstdint>
#include <string>

namespace eddy_echo {

// What the command line asked for, after CLI11 has checked each flag.
struct EchoOptions {
  std::uint16_t port = 25341;    // the tutorial server's port
  std::string bind = "0.0.0.0";  // a numeric IPv4 or IPv6 address
  std::string backend;           // "epoll" or "poll"; empty: EDDY_BACKEND, else epoll
};

}  // namespace eddy_echo
