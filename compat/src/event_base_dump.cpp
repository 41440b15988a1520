// What a base holds, for event_base_foreach_event() and
// event_base_dump_events().
#include "event_base.hpp"

#include <cstdio>
#include <new>

using namespace eddy::compat;

std::vector<event*> event_base::all_events() const {
  std::vector<event*> events;
  for (int fd = 0; fd < fds.fd_limit(); ++fd) {
    for (event* ev = fds.first(fd); ev != nullptr; ev = ev->ev_.ev_io.ev_io_next.next) {
      events.push_back(ev);
    }
  }
  for (int signo = 1; signo < NSIG; ++signo) {
    for (event* ev = signals.first(signo); ev != nullptr; ev = ev->ev_.ev_signal.ev_signal_next.next) {
      events.push_back(ev);
    }
  }
  for (std::size_t i = 0; i < timeouts.size(); ++i) {
    if (!has_flag(timeouts.at(i), EVLIST_INSERTED)) {
      events.push_back(timeouts.at(i));
    }
  }
  auto only_active = [&events](event* ev) {
    if (is_event(ev) && !has_flag(ev, EVLIST_INSERTED | EVLIST_TIMEOUT)) {
      events.push_back(ev);
    }
  };
  for (int pri = 0; pri < active.priorities(); ++pri) {
    for (event* ev = active.front(pri); ev != nullptr; ev = next_queued(ev)) {
      only_active(ev);
    }
  }
  for (event* ev = later.front(); ev != nullptr; ev = next_queued(ev)) {
    only_active(ev);
  }
  return events;
}

// libevent's format exactly (event.c, dump_inserted_event_fn and
// dump_active_event_fn), "fd " with its trailing space included: tools and
// libevent's own test-dumpevents parse it.
void event_base::dump(FILE* out) {
  std::vector<event*> events;
  try {
    events = all_events();
  } catch (const std::bad_alloc&) {
    std::fprintf(out, "Inserted events:\nActive events:\n");
    return;
  }
  const timeval offset = clock_offset();
  auto gloss = [](const event* ev) { return is_signal(ev) ? "sig" : "fd "; };
  std::fprintf(out, "Inserted events:\n");
  for (const event* ev : events) {
    if (!has_flag(ev, EVLIST_INSERTED | EVLIST_TIMEOUT)) {
      continue;
    }
    const short what = ev->ev_events;
    std::fprintf(out, "  %p [%s %d]%s%s%s%s%s%s%s", static_cast<const void*>(ev), gloss(ev), static_cast<int>(ev->ev_fd),
                 (what & EV_READ) != 0 ? " Read" : "", (what & EV_WRITE) != 0 ? " Write" : "",
                 (what & EV_CLOSED) != 0 ? " EOF" : "", (what & EV_SIGNAL) != 0 ? " Signal" : "",
                 (what & EV_PERSIST) != 0 ? " Persist" : "", (what & EV_ET) != 0 ? " ET" : "",
                 has_flag(ev, EVLIST_INTERNAL) ? " Internal" : "");
    if (has_flag(ev, EVLIST_TIMEOUT)) {
      timeval at{};
      timeradd(&ev->ev_timeout, &offset, &at);
      std::fprintf(out, " Timeout=%ld.%06d", static_cast<long>(at.tv_sec), static_cast<int>(at.tv_usec));
    }
    std::fputc('\n', out);
  }
  std::fprintf(out, "Active events:\n");
  for (const event* ev : events) {
    if (!has_flag(ev, EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) {
      continue;
    }
    const short res = ev->ev_res;
    std::fprintf(out, "  %p [%s %d, priority=%d]%s%s%s%s%s active%s%s\n", static_cast<const void*>(ev), gloss(ev),
                 static_cast<int>(ev->ev_fd), priority_of(ev), (res & EV_READ) != 0 ? " Read" : "",
                 (res & EV_WRITE) != 0 ? " Write" : "", (res & EV_CLOSED) != 0 ? " EOF" : "",
                 (res & EV_SIGNAL) != 0 ? " Signal" : "", (res & EV_TIMEOUT) != 0 ? " Timeout" : "",
                 has_flag(ev, EVLIST_INTERNAL) ? " [Internal]" : "",
                 has_flag(ev, EVLIST_ACTIVE_LATER) ? " [NextTime]" : "");
  }
}
