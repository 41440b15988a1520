// Timeouts of the bufferevents that have no socket to wait on (pairs and
// filters), as libevent's "generic" timeouts: the read timer runs while
// reading is enabled and is pushed back whenever data arrives; the write
// timer runs while there is output to hand on and is pushed back whenever
// some is taken.
#include "bufferevent.hpp"

namespace {

void on_read_timeout(evutil_socket_t, short, void* arg) {
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  const BufferEventHold hold(b);
  if (!hold.alive()) {
    return;
  }
  bufferevent_disable(&b.bev, EV_READ);
  b.run_eventcb(BEV_EVENT_TIMEOUT | BEV_EVENT_READING, 0);
}

void on_write_timeout(evutil_socket_t, short, void* arg) {
  BufferEvent& b = *static_cast<BufferEvent*>(arg);
  const BufferEventHold hold(b);
  if (!hold.alive()) {
    return;
  }
  bufferevent_disable(&b.bev, EV_WRITE);
  b.run_eventcb(BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING, 0);
}

}  // namespace

void BufferEvent::init_generic_timeouts() noexcept {
  event_assign(&bev.ev_read, bev.ev_base, -1, EV_FINALIZE, on_read_timeout, this);
  event_assign(&bev.ev_write, bev.ev_base, -1, EV_FINALIZE, on_write_timeout, this);
}

void BufferEvent::reset_read_timeout() noexcept {
  if (timerisset(&bev.timeout_read)) {
    event_add(&bev.ev_read, &bev.timeout_read);
  }
}

void BufferEvent::reset_write_timeout() noexcept {
  if (timerisset(&bev.timeout_write)) {
    event_add(&bev.ev_write, &bev.timeout_write);
  }
}

void BufferEvent::del_generic_timeouts() noexcept {
  del_event(&bev.ev_read);
  del_event(&bev.ev_write);
}

void BufferEvent::adjust_generic_timeouts() noexcept {
  if ((bev.enabled & EV_READ) != 0 && read_suspended == 0 && timerisset(&bev.timeout_read)) {
    event_add(&bev.ev_read, &bev.timeout_read);
  } else {
    del_event(&bev.ev_read);
  }
  if ((bev.enabled & EV_WRITE) != 0 && write_suspended == 0 && timerisset(&bev.timeout_write) &&
      output_buffer.size() != 0) {
    event_add(&bev.ev_write, &bev.timeout_write);
  } else {
    del_event(&bev.ev_write);
  }
}
