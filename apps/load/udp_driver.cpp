#include "udp_driver.hpp"

#include <eddy/clock.hpp>
#include <eddy/loop.hpp>

#include <chrono>

namespace eddy_load {

namespace {

constexpr std::chrono::milliseconds kLossScanInterval{100};

}  // namespace

UdpDriver::UdpDriver(const DriverContext& context)
    : context_(context), scratch_(context.options.size), loss_timer_(context.loop, [this] {
        const eddy::TimePoint now = context_.loop.now();
        for (const auto& socket : sockets_) {
          socket->expire(now);
        }
      }) {
  sockets_.reserve(context.connection_count);
  for (std::size_t i = 0; i < context.connection_count; ++i) {
    sockets_.push_back(std::make_unique<UdpLoadSocket>(*this, context.first_connection + i));
  }
}

UdpDriver::~UdpDriver() = default;

void UdpDriver::connect(eddy::Function<void()> on_connected) {
  // Opening a UDP socket completes at once: there is no handshake, and a
  // server that is not there shows as lost datagrams.
  for (const auto& socket : sockets_) {
    if (socket->open()) {
      ++open_;
    }
  }
  on_connected();
}

void UdpDriver::start() {
  const eddy::TimePoint start = eddy::Clock::now();
  if (open_ > 0) {
    loss_timer_.start(kLossScanInterval, kLossScanInterval);
  }
  for (const auto& socket : sockets_) {
    socket->start(start);
  }
}

void UdpDriver::stop() {
  loss_timer_.stop();
  for (const auto& socket : sockets_) {
    socket->close();
  }
}

void UdpDriver::socket_closed() {
  if (--open_ == 0) {
    loss_timer_.stop();
  }
}

}  // namespace eddy_load
