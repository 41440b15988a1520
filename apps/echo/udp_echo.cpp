#include "udp_echo.hpp"

#include "echo_cli.hpp"
#include "echo_log.hpp"
#include "shutdown_signals.hpp"
#include "stats_reporter.hpp"

#include <eddy/log.hpp>
#include <eddy/loop.hpp>
#include <eddy/udp_socket.hpp>

#include <cstdint>
#include <string>
#include <system_error>

namespace eddy_echo {

namespace {

// Everything runs on the main thread: plain counters.
struct UdpCounters {
  std::uint64_t datagrams = 0;  // received
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t dropped = 0;  // truncated on receipt, or refused by send_to
};

void echo_datagram(eddy::UdpSocket& socket, const eddy::UdpSocket::Datagram& datagram, UdpCounters& counters) {
  ++counters.datagrams;
  counters.bytes_in += datagram.data.size();
  if (eddy::log_enabled(eddy::LogLevel::kDebug)) {
    eddy::log(eddy::LogLevel::kDebug, "udp " + datagram.peer.to_string() + ": datagram of " +
                                          std::to_string(datagram.data.size()) + " bytes" +
                                          (datagram.truncated ? " (truncated)" : ""));
  }
  if (datagram.truncated) {
    ++counters.dropped;  // echoing part of a datagram would be a lie
    return;
  }
  if (const std::error_code ec = socket.send_to(datagram.data, datagram.peer)) {
    ++counters.dropped;
    if (eddy::log_enabled(eddy::LogLevel::kDebug)) {
      eddy::log(eddy::LogLevel::kDebug, "udp " + datagram.peer.to_string() + ": reply dropped: " + ec.message());
    }
    return;
  }
  counters.bytes_out += datagram.data.size();
}

}  // namespace

int run_udp_echo(const EchoOptions& options, eddy::Loop& loop) {
  UdpCounters counters;
  eddy::UdpSocket socket(loop, [&counters](eddy::UdpSocket& s, const eddy::UdpSocket::Datagram& datagram) {
    echo_datagram(s, datagram, counters);
  });
  StatsReporter stats(loop, options.stats_interval, [&counters] {
    return StatsSample{{"messages", counters.datagrams},
                       {"bytes_in", counters.bytes_in},
                       {"bytes_out", counters.bytes_out},
                       {"dropped", counters.dropped}};
  });
  // Nothing is queued in UDP, so a graceful stop is immediate.
  ShutdownSignals signals(loop, [&] {
    stats.stop();
    socket.close();
    loop.stop();
  });
  signals.start();

  if (const std::error_code ec = socket.bind(options.address, {.share_port_with_other_processes = options.reuse_port})) {
    throw std::system_error(ec, "cannot listen on udp " + options.address.to_string());
  }
  report("listening on udp " + socket.local_address().to_string() + " (" + std::string(loop.backend_name()) + ")");
  if (options.stats_interval > eddy::Duration::zero()) {
    stats.start();
  }
  loop.run();
  return kExitOk;
}

}  // namespace eddy_echo
