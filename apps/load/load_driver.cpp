#include "load_driver.hpp"

#include "tcp_driver.hpp"
#include "udp_driver.hpp"

#include <algorithm>

namespace eddy_load {

std::unique_ptr<LoadDriver> make_driver(const DriverContext& context) {
  if (context.options.udp) {
    return std::make_unique<UdpDriver>(context);
  }
  return std::make_unique<TcpDriver>(context);
}

std::uint64_t message_quota(const LoadOptions& options, std::size_t index) noexcept {
  if (!options.messages) {
    return UINT64_MAX;
  }
  const std::uint64_t connections = options.connections;
  const std::uint64_t share = *options.messages / connections;
  return share + (index < *options.messages % connections ? 1 : 0);
}

std::size_t batch_capacity(std::size_t message_size) noexcept {
  constexpr std::size_t kTarget = 64 * 1024;
  return std::max<std::size_t>(1, kTarget / message_size) * message_size;
}

}  // namespace eddy_load
