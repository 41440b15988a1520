#pragma once

#include "event_fields.hpp"

#include <eddy/function.hpp>
#include <eddy/io_watcher.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace eddy {
class Loop;
}

namespace eddy::compat {

// The I/O events of one base, grouped by fd. Any number of events may wait
// on one fd (libevent allows it; an eddy IoWatcher is one per fd), so each
// fd has one IoWatcher whose interest is the union of its events', and the
// events are kept in a list, newest first, as libevent keeps them: that is
// the order they are activated in when the fd is ready.
class FdMap {
 public:
  using ReadyCallback = Function<void(int fd, unsigned events)>;

  FdMap(Loop& loop, bool edge_triggered, bool peer_closed, ReadyCallback on_ready)
      : loop_(loop), edge_triggered_(edge_triggered), peer_closed_(peer_closed), on_ready_(std::move(on_ready)) {}

  // Returns 0, or -1 after logging why (the event is then not in the map).
  int add(event* ev);
  void remove(event* ev) noexcept;

  // The newest event on `fd`, or nullptr; follow ev_.ev_io.ev_io_next.next.
  event* first(int fd) const noexcept {
    const auto i = static_cast<std::size_t>(fd);
    return fd >= 0 && i < entries_.size() && entries_[i] ? entries_[i]->head : nullptr;
  }

  // One past the highest fd that ever had an event.
  int fd_limit() const noexcept { return static_cast<int>(entries_.size()); }

  // Stops every watcher; the events' links are left as they are.
  void clear() noexcept { entries_.clear(); }

 private:
  struct Entry {
    Entry(Loop& loop, int fd, IoWatcher::Callback cb) : watcher(loop, fd, std::move(cb)) {}
    IoWatcher watcher;
    event* head = nullptr;
    std::uint32_t readers = 0;
    std::uint32_t writers = 0;
    std::uint32_t closers = 0;
    bool edge = false;
  };

  unsigned interest(const Entry& e) const noexcept;
  Entry& entry(int fd);
  bool apply(Entry& e, int fd, unsigned before) noexcept;

  Loop& loop_;
  bool edge_triggered_;  // the backend honours EV_ET
  bool peer_closed_;     // the backend honours EV_CLOSED
  ReadyCallback on_ready_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace eddy::compat
