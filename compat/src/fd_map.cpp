#include "fd_map.hpp"

#include "debug_mode.hpp"
#include "event_list.hpp"
#include "log.hpp"

#include <eddy/loop.hpp>

#include <sys/resource.h>

#include <cstring>

namespace eddy::compat {
namespace {

// libevent's limit: its counts are 16-bit.
constexpr std::uint32_t kMaxEventsPerFd = 0xffff;

// No descriptor is numbered at or above the hard RLIMIT_NOFILE (the kernel
// caps that at fs.nr_open), so a larger fd is a mistake; refusing it keeps
// the per-fd table from growing to its size, where libevent's table fails
// to grow and event_add() fails.
bool fd_in_range(int fd) noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_max == RLIM_INFINITY) {
    return true;
  }
  return static_cast<rlim_t>(fd) < limit.rlim_max;
}

}  // namespace

unsigned FdMap::interest(const Entry& e) const noexcept {
  unsigned events = kNone;
  if (e.readers != 0) {
    events |= kReadable;
  }
  if (e.writers != 0) {
    events |= kWritable;
  }
  if (e.closers != 0) {
    events |= kPeerClosed;
  }
  return events;
}

FdMap::Entry& FdMap::entry(int fd) {
  const auto i = static_cast<std::size_t>(fd);
  if (i >= entries_.size()) {
    entries_.resize(i + 1);
  }
  if (!entries_[i]) {
    entries_[i] = std::make_unique<Entry>(loop_, fd, [this, fd](unsigned events) { on_ready_(fd, events); });
  }
  return *entries_[i];
}

// Brings the watcher in line with the counts; false (logged) if the
// backend refused.
bool FdMap::apply(Entry& e, int fd, unsigned before) noexcept {
  const unsigned after = interest(e);
  if (after == before) {
    return true;
  }
  if (after == kNone) {
    e.watcher.stop();
    return true;
  }
  std::error_code ec;
  e.watcher.start(after | (e.edge ? kEdgeTriggered : kNone), ec);
  if (ec) {
    EDDY_COMPAT_WARN("%s: watching fd %d failed: %s", loop_.backend_name().data(), fd, ec.message().c_str());
    return false;
  }
  return true;
}

int FdMap::add(event* ev) {
  const int fd = ev->ev_fd;
  if (fd < 0) {
    return 0;  // as libevent: accepted, never ready
  }
  if (static_cast<std::size_t>(fd) >= entries_.size() && !fd_in_range(fd)) {
    EDDY_COMPAT_WARN("event_add: fd %d is beyond any descriptor this process can have", fd);
    return -1;
  }
  Entry& e = entry(fd);
  // One registration cannot be both edge- and level-triggered; libevent
  // refuses the mix in debug mode and otherwise accepts it.
  if (debug_mode_on() && e.head != nullptr && ((e.head->ev_events ^ ev->ev_events) & EV_ET) != 0) {
    EDDY_COMPAT_WARN("Tried to mix edge-triggered and non-edge-triggered events on fd %d", fd);
    return -1;
  }
  const unsigned before = interest(e);
  const std::uint32_t readers = e.readers;
  const std::uint32_t writers = e.writers;
  const std::uint32_t closers = e.closers;
  const bool edge = e.edge;
  if ((ev->ev_events & EV_READ) != 0) {
    ++e.readers;
  }
  if ((ev->ev_events & EV_WRITE) != 0) {
    ++e.writers;
  }
  if ((ev->ev_events & EV_CLOSED) != 0 && peer_closed_) {
    ++e.closers;
  }
  if (e.readers > kMaxEventsPerFd || e.writers > kMaxEventsPerFd || e.closers > kMaxEventsPerFd) {
    EDDY_COMPAT_WARN("Too many events reading or writing on fd %d", fd);
    e.readers = readers;
    e.writers = writers;
    e.closers = closers;
    return -1;
  }
  if (interest(e) != before) {
    // The registration takes the edge mode of the event that changed it.
    e.edge = edge_triggered_ && (ev->ev_events & EV_ET) != 0;
  }
  if (!apply(e, fd, before)) {
    e.readers = readers;
    e.writers = writers;
    e.closers = closers;
    e.edge = edge;
    return -1;
  }
  FdEventList::push_front(e.head, ev);
  return 0;
}

void FdMap::remove(event* ev) noexcept {
  const int fd = ev->ev_fd;
  if (fd < 0) {
    return;
  }
  Entry& e = *entries_[static_cast<std::size_t>(fd)];
  const unsigned before = interest(e);
  if ((ev->ev_events & EV_READ) != 0) {
    --e.readers;
  }
  if ((ev->ev_events & EV_WRITE) != 0) {
    --e.writers;
  }
  if ((ev->ev_events & EV_CLOSED) != 0 && peer_closed_) {
    --e.closers;
  }
  FdEventList::remove(ev);
  apply(e, fd, before);
}

}  // namespace eddy::compat
