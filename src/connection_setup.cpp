#include "connection_setup.hpp"

#include <eddy/loop.hpp>

#include <utility>

namespace eddy::detail {

ConnectionSetup::ConnectionSetup(Loop& on_loop, const TcpConnectionOptions& with_options,
                                 TcpConnection::Handlers* fallback) noexcept
    : loop(on_loop), core(on_loop.core()), options(with_options), fallback_(fallback) {}

ConnectionSetup::~ConnectionSetup() {
  delete spare_;
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

ConnectionBuffers* ConnectionSetup::acquire_listed() {
  ConnectionBuffers* buffers = free_;
  if (buffers == nullptr) {
    return new ConnectionBuffers(loop.block_pool());
  }
  free_ = buffers->next_free;
  --cached_;
  return buffers;
}

void ConnectionSetup::release_listed(ConnectionBuffers* buffers) noexcept {
  if (cached_ == kMaxCachedBuffers) {
    delete buffers;
    return;
  }
  buffers->next_free = std::exchange(free_, buffers);
  ++cached_;
}

void ConnectionSetup::release_slow(ConnectionBuffers* buffers) noexcept {
  buffers->input.clear();
  buffers->output.clear();
  release_empty_buffers(buffers);
}

}  // namespace eddy::detail
