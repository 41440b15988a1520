#include "connection_setup.hpp"

#include <eddy/loop.hpp>

#include <utility>

namespace eddy::detail {

ConnectionSetup::ConnectionSetup(Loop& on_loop, const TcpConnectionOptions& with_options,
                                 TcpConnection::Handlers* fallback) noexcept
    : loop(on_loop), options(with_options), fallback_(fallback) {}

ConnectionSetup::~ConnectionSetup() {
  while (free_ != nullptr) {
    delete std::exchange(free_, free_->next_free);
  }
}

ConnectionSetup* ConnectionSetup::clone_for(const ConnectionSetup& shared) {
  auto* own = new ConnectionSetup(shared.loop, shared.options, shared.fallback_);
  own->counters = shared.counters;
  own->release_hook = shared.release_hook;
  own->release_owner = shared.release_owner;
  own->root_ = shared.root_;
  return own;
}

ConnectionBuffers* ConnectionSetup::new_buffers() { return new ConnectionBuffers(loop.block_pool()); }

void ConnectionSetup::release_slow(ConnectionBuffers* buffers) noexcept {
  buffers->input.clear();
  buffers->output.clear();
  ConnectionSetup& root = *root_;
  if (root.cached_ == kMaxCachedBuffers) {
    delete buffers;
    return;
  }
  buffers->next_free = std::exchange(root.free_, buffers);
  ++root.cached_;
}

}  // namespace eddy::detail
