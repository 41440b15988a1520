#include "loop_core.hpp"

#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>

#include <stdexcept>
#include <string>

namespace eddy {

IoWatcher::IoWatcher(Loop& loop, int fd, Callback on_ready)
    : IoHandle(fd, &IoWatcher::dispatch), loop_(loop), on_ready_(std::move(on_ready)) {}

IoWatcher::~IoWatcher() { stop(); }

void IoWatcher::start(unsigned events) {
  std::error_code ec;
  start(events, ec);
  if (ec) {
    throw std::system_error(ec, "IoWatcher: cannot watch fd " + std::to_string(fd()) + " on " +
                                    std::string(loop_.backend_name()));
  }
}

void IoWatcher::start(unsigned events, std::error_code& ec) noexcept { ec = loop_.core().io_start(*this, events); }

void IoWatcher::set_fd(int fd) {
  if (is_active()) {
    throw std::logic_error("IoWatcher::set_fd called while the watcher is active");
  }
  reset_fd(fd);
}

void IoWatcher::stop() noexcept { loop_.core().io_stop(*this); }

}  // namespace eddy
