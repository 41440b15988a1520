// Fuzzes the libevent-compatible event API (compat/, event2/event.h)
// against a model of libevent 2.1's documented state machine.
//
// Four event slots, each empty or holding an event made with event_new()
// or event_assign() into storage of ours; two socketpairs whose ends the
// I/O events watch; pure timers. The input is a sequence of operations:
// new, assign, add (no timeout, a zero one, a short one, an hour), del,
// active, free, one loop iteration (EVLOOP_NONBLOCK | EVLOOP_ONCE), write
// bytes to make an end readable, drain an end.
//
// The model follows libevent (event.c, event_add_nolock_ and friends):
//   - add() registers an I/O event unless it is already registered or
//     active; a timeout replaces the previous one, and re-arming the timeout
//     of an event active because of its timeout cancels that activation;
//     a persistent event keeps the timeout it was added with (even across
//     del()) and re-arms it after each callback;
//   - del() takes the event out of everything: no callback follows;
//   - active() queues one callback, merging with a pending one;
//   - one loop iteration: registered events whose fd is ready, expired
//     timeouts (which delete the event first) and activated events each run
//     exactly once; nothing else runs; a non-persistent event is not pending
//     in its callback.
// After every operation event_pending() of every event must equal the
// model's. Everything is freed at the end of each input (LeakSanitizer
// checks). Callbacks only record; they never change the events.

#include "fuzz_input.hpp"

#include <event2/event.h>
#include <event2/event_struct.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

using eddy::fuzz::FuzzInput;

constexpr std::size_t kSlots = 4;
constexpr std::size_t kMaxOps = 128;
constexpr std::size_t kMaxUnreadWrites = 16;
constexpr short kIoBits = EV_READ | EV_WRITE;
constexpr short kAllBits = EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL | EV_CLOSED;

// A pending timeout as the model knows it. kDue: zero, expires in the next
// iteration. kSoon: microseconds, may or may not have expired by then.
// kFar: an hour, never expires during an input.
enum class Timeout { kNone, kDue, kSoon, kFar };

struct Slot {
  event* ev = nullptr;  // nullptr: the slot is empty
  bool heap = false;    // event_new() (event_free) or event_assign() into malloc'd storage (std::free)
  int fd = -1;
  short events = 0;
  bool inserted = false;  // registered for its I/O events
  Timeout timeout = Timeout::kNone;
  Timeout persist = Timeout::kNone;  // the timeout a persistent event re-arms (kNone/kDue: none)
  bool active = false;
  short res = 0;
  int calls = 0;  // callbacks in the current loop iteration
};

struct State {
  event_base* base = nullptr;
  std::array<Slot, kSlots> slots{};
  std::array<int, 4> fds{-1, -1, -1, -1};    // two socketpairs: 0-1 and 2-3
  std::array<std::size_t, 4> readable{};     // bytes waiting to be read at each end
  // Writes from each end that the other has not read. Bounded, so that
  // every end stays writable: an AF_UNIX socket counts the memory of what
  // it sent against its own send buffer until the peer reads it.
  std::array<std::size_t, 4> unread_writes{};
  bool in_loop = false;
};

State* current = nullptr;  // for the callback's checks

int peer_of(int index) { return index ^ 1; }

int index_of(const State& state, int fd) {
  for (std::size_t i = 0; i < state.fds.size(); ++i) {
    if (state.fds[i] == fd) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool has_io(const Slot& slot) { return (slot.events & kIoBits) != 0; }

// The I/O bits a registered event is ready for now. Sockets of a
// socketpair with a few bytes queued are always writable.
short ready_bits(const State& state, const Slot& slot) {
  if (!slot.inserted) {
    return 0;
  }
  short bits = static_cast<short>(slot.events & EV_WRITE);
  const int index = index_of(state, slot.fd);
  if ((slot.events & EV_READ) != 0 && index >= 0 && state.readable[static_cast<std::size_t>(index)] > 0) {
    bits = static_cast<short>(bits | EV_READ);
  }
  return bits;
}

short model_pending(const Slot& slot) {
  short bits = 0;
  if (slot.inserted) {
    bits = static_cast<short>(bits | (slot.events & kIoBits));
  }
  if (slot.active) {
    bits = static_cast<short>(bits | slot.res);
  }
  if (slot.timeout != Timeout::kNone) {
    bits = static_cast<short>(bits | EV_TIMEOUT);
  }
  return static_cast<short>(bits & kAllBits);
}

void check_pending(const Slot& slot) {
  if (slot.ev != nullptr) {
    EDDY_FUZZ_CHECK(event_initialized(slot.ev) == 1);
    EDDY_FUZZ_CHECK(event_pending(slot.ev, kAllBits, nullptr) == model_pending(slot));
  }
}

// After a persistent event's callback, or an expiry: the closure re-adds a
// persistent event that has a non-zero timeout of its own.
void rearm_persistent(Slot& slot) {
  if (slot.persist == Timeout::kSoon || slot.persist == Timeout::kFar) {
    slot.inserted = has_io(slot);
    slot.timeout = slot.persist;
  }
}

void on_event(evutil_socket_t fd, short what, void* arg) {
  EDDY_FUZZ_CHECK(current != nullptr && current->in_loop);
  State& state = *current;
  Slot& slot = *static_cast<Slot*>(arg);
  // Never for an empty (freed) slot; a deleted event is not armed below.
  EDDY_FUZZ_CHECK(slot.ev != nullptr);
  EDDY_FUZZ_CHECK(fd == slot.fd);
  // At most once per iteration.
  EDDY_FUZZ_CHECK(++slot.calls == 1);
  const bool expired = slot.timeout == Timeout::kDue || (slot.timeout == Timeout::kSoon && (what & EV_TIMEOUT) != 0);
  if (expired) {
    // Expiry deletes the event (and any activation) before activating it
    // with EV_TIMEOUT alone.
    EDDY_FUZZ_CHECK(what == EV_TIMEOUT);
    slot.inserted = false;
    slot.timeout = Timeout::kNone;
  } else {
    const short expected = static_cast<short>((slot.active ? slot.res : 0) | ready_bits(state, slot));
    // An event with nothing that makes it due does not run.
    EDDY_FUZZ_CHECK(slot.active || expected != 0);
    EDDY_FUZZ_CHECK(what == expected);
  }
  slot.active = false;
  slot.res = 0;
  if ((slot.events & EV_PERSIST) != 0) {
    rearm_persistent(slot);
  } else {
    // A non-persistent event is deleted before its callback.
    slot.inserted = false;
    slot.timeout = Timeout::kNone;
  }
  check_pending(slot);
}

timeval timeout_value(Timeout kind, FuzzInput& in) {
  switch (kind) {
    case Timeout::kDue:
      return {0, 0};
    case Timeout::kSoon:
      return {0, static_cast<suseconds_t>(1 + in.small(200))};
    default:
      return {3600, 0};
  }
}

void release(Slot& slot) {
  if (slot.ev == nullptr) {
    return;
  }
  if (slot.heap) {
    event_free(slot.ev);
  } else {
    EDDY_FUZZ_CHECK(event_del(slot.ev) == 0);
    std::free(slot.ev);
  }
  slot = Slot{};
}

// Gives `slot` a freshly assigned event: from event_new(), or event_assign()
// into storage of ours, or event_assign() again on the slot's own event.
void make_event(State& state, Slot& slot, FuzzInput& in, bool reassign) {
  const std::uint8_t how = in.u8();
  constexpr short kKinds[] = {0, EV_READ, EV_WRITE, EV_READ | EV_WRITE};
  short events = kKinds[how & 3U];
  if ((how & 4U) != 0) {
    events = static_cast<short>(events | EV_PERSIST);
  }
  // I/O events watch one end of a pair; timers have no fd.
  const int fd = (events & kIoBits) != 0 ? state.fds[(how >> 3) % 3U] : -1;
  if (reassign && slot.ev != nullptr) {
    // event_assign() is for events that are not pending.
    EDDY_FUZZ_CHECK(event_del(slot.ev) == 0);
    EDDY_FUZZ_CHECK(event_assign(slot.ev, state.base, fd, events, on_event, &slot) == 0);
  } else {
    release(slot);
    if ((how & 0x40U) != 0) {
      slot.ev = event_new(state.base, fd, events, on_event, &slot);
      EDDY_FUZZ_CHECK(slot.ev != nullptr);
      slot.heap = true;
    } else {
      slot.ev = static_cast<event*>(std::malloc(event_get_struct_event_size()));
      EDDY_FUZZ_CHECK(slot.ev != nullptr);
      EDDY_FUZZ_CHECK(event_assign(slot.ev, state.base, fd, events, on_event, &slot) == 0);
      slot.heap = false;
    }
  }
  event* const ev = slot.ev;
  const bool heap = slot.heap;
  slot = Slot{};
  slot.ev = ev;
  slot.heap = heap;
  slot.fd = fd;
  slot.events = events;
}

void add(Slot& slot, Timeout kind, FuzzInput& in) {
  const timeval tv = timeout_value(kind, in);
  EDDY_FUZZ_CHECK(event_add(slot.ev, kind == Timeout::kNone ? nullptr : &tv) == 0);
  if (has_io(slot) && !slot.inserted && !slot.active) {
    slot.inserted = true;
  }
  if (kind != Timeout::kNone) {
    if ((slot.events & EV_PERSIST) != 0) {
      slot.persist = kind;
    }
    if (slot.active && (slot.res & EV_TIMEOUT) != 0) {
      slot.active = false;
      slot.res = 0;
    }
    slot.timeout = kind;
  }
}

void loop_once(State& state) {
  std::array<bool, kSlots> must_run{};
  bool anything = false;
  for (std::size_t i = 0; i < kSlots; ++i) {
    Slot& slot = state.slots[i];
    slot.calls = 0;
    if (slot.ev == nullptr) {
      continue;
    }
    must_run[i] = slot.active || ready_bits(state, slot) != 0 || slot.timeout == Timeout::kDue;
    anything = anything || slot.inserted || slot.active || slot.timeout != Timeout::kNone;
  }
  state.in_loop = true;
  const int result = event_base_loop(state.base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
  state.in_loop = false;
  // 1 when nothing was pending or active, as libevent returns.
  EDDY_FUZZ_CHECK(result == (anything ? 0 : 1));
  for (std::size_t i = 0; i < kSlots; ++i) {
    if (must_run[i]) {
      EDDY_FUZZ_CHECK(state.slots[i].calls == 1);
    }
  }
}

void run_op(State& state, FuzzInput& in) {
  const std::uint8_t op = in.u8();
  Slot& slot = state.slots[(op >> 4) % kSlots];
  switch (op % 11) {
    case 0:
      make_event(state, slot, in, false);
      break;
    case 1:
      make_event(state, slot, in, true);
      break;
    case 2:
    case 3: {
      if (slot.ev == nullptr) {
        break;
      }
      constexpr Timeout kKinds[] = {Timeout::kNone, Timeout::kDue, Timeout::kSoon, Timeout::kFar};
      add(slot, kKinds[in.u8() & 3U], in);
      break;
    }
    case 4:
      if (slot.ev != nullptr) {
        EDDY_FUZZ_CHECK(event_del(slot.ev) == 0);
        slot.inserted = false;
        slot.timeout = Timeout::kNone;
        slot.active = false;
        slot.res = 0;
      }
      break;
    case 5: {
      if (slot.ev == nullptr) {
        break;
      }
      short res = static_cast<short>(in.u8() & (EV_TIMEOUT | EV_READ | EV_WRITE));
      if (slot.timeout == Timeout::kSoon) {
        // Keeps "did the timeout expire" readable from the callback's flags.
        res = static_cast<short>(res & ~EV_TIMEOUT);
      }
      event_active(slot.ev, res, 1);
      slot.res = static_cast<short>(slot.active ? (slot.res | res) : res);
      slot.active = true;
      break;
    }
    case 6:
      release(slot);
      break;
    case 7:
    case 8:
      loop_once(state);
      break;
    case 9: {  // write to one end: the other end becomes readable
      const std::size_t end = in.u8() % state.fds.size();
      if (state.unread_writes[end] >= kMaxUnreadWrites) {
        break;
      }
      ++state.unread_writes[end];
      const char bytes[8] = {'f', 'u', 'z', 'z', 'b', 'y', 't', 'e'};
      const std::size_t n = 1 + in.small(sizeof bytes - 1);
      const ssize_t put = ::write(state.fds[end], bytes, n);
      EDDY_FUZZ_CHECK(put == static_cast<ssize_t>(n));
      state.readable[static_cast<std::size_t>(peer_of(static_cast<int>(end)))] += n;
      break;
    }
    default: {  // drain one end
      const std::size_t end = in.u8() % state.fds.size();
      char buffer[4096];
      while (state.readable[end] > 0) {
        const ssize_t got = ::read(state.fds[end], buffer, sizeof buffer);
        EDDY_FUZZ_CHECK(got > 0);
        state.readable[end] -= static_cast<std::size_t>(got);
      }
      state.unread_writes[static_cast<std::size_t>(peer_of(static_cast<int>(end)))] = 0;
      break;
    }
  }
  for (const Slot& each : state.slots) {
    check_pending(each);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  State state;
  state.base = event_base_new();
  EDDY_FUZZ_CHECK(state.base != nullptr);
  for (std::size_t pair = 0; pair < 2; ++pair) {
    int fds[2];
    EDDY_FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    state.fds[2 * pair] = fds[0];
    state.fds[2 * pair + 1] = fds[1];
  }
  current = &state;
  for (std::size_t ops = 0; ops < kMaxOps && !in.empty(); ++ops) {
    run_op(state, in);
  }
  for (Slot& slot : state.slots) {
    release(slot);
  }
  event_base_free(state.base);
  for (const int fd : state.fds) {
    ::close(fd);
  }
  current = nullptr;
  return 0;
}
