#pragma once

#include "event_fields.hpp"

namespace eddy::compat {

// An intrusive list of events, newest first, linked through one of their
// event_link members (ev_.ev_io.ev_io_next for an fd's events,
// ev_.ev_signal.ev_signal_next for a signal's): adding and removing touch
// only the neighbours, and allocate nothing.
template <event_link& (*Link)(event*)>
struct EventList {
  static void push_front(event*& head, event* ev) noexcept {
    event_link& link = Link(ev);
    link.next = head;
    if (head != nullptr) {
      Link(head).prev_next = &link.next;
    }
    head = ev;
    link.prev_next = &head;
  }

  static void remove(event* ev) noexcept {
    event_link& link = Link(ev);
    if (link.next != nullptr) {
      Link(link.next).prev_next = link.prev_next;
    }
    *link.prev_next = link.next;
  }
};

inline event_link& io_link(event* ev) noexcept { return ev->ev_.ev_io.ev_io_next; }
inline event_link& signal_link(event* ev) noexcept { return ev->ev_.ev_signal.ev_signal_next; }

using FdEventList = EventList<io_link>;
using SignalEventList = EventList<signal_link>;

}  // namespace eddy::compat
