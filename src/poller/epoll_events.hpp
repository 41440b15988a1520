#pragma once

// eddy's IoEvents bits to and from epoll's, for the epoll backend and for
// the uring backend, whose poll requests take and answer the same bits
// (EPOLLIN == POLLIN and so on; io_uring's poll masks are epoll's, 32 bits
// wide with IORING_FEAT_POLL_32BITS).
#include <eddy/io_events.hpp>

#include <sys/epoll.h>

#include <cstdint>

namespace eddy::detail {

inline std::uint32_t to_epoll(unsigned events) noexcept {
  std::uint32_t out = 0;
  if ((events & kReadable) != 0U) {
    out |= EPOLLIN | EPOLLRDHUP;
  }
  if ((events & kWritable) != 0U) {
    out |= EPOLLOUT;
  }
  if ((events & kPeerClosed) != 0U) {
    out |= EPOLLRDHUP;
  }
  if ((events & kEdgeTriggered) != 0U) {
    out |= EPOLLET;
  }
  if ((events & kExclusive) != 0U) {
    out = (out & (EPOLLIN | EPOLLOUT | EPOLLET)) | EPOLLEXCLUSIVE;
  }
  return out;
}

// The mapping, bit by bit.
constexpr unsigned from_epoll_bits(std::uint32_t events) noexcept {
  unsigned out = kNone;
  // A peer's FIN (EPOLLRDHUP) makes the fd readable: read() returns 0.
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLPRI)) != 0U) {
    out |= kReadable;
  }
  if ((events & EPOLLOUT) != 0U) {
    out |= kWritable;
  }
  if ((events & EPOLLERR) != 0U) {
    out |= kError;
  }
  if ((events & EPOLLHUP) != 0U) {
    out |= kHangup;
  }
  if ((events & EPOLLRDHUP) != 0U) {
    out |= kPeerClosed;
  }
  return out;
}

// It runs once per ready fd, so by table: the six bits it reads are IN,
// PRI, OUT, ERR and HUP (the low five) and RDHUP, folded down to bit 5.
inline constexpr std::uint32_t kMappedLow = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP;
static_assert(kMappedLow == 0x1FU && EPOLLRDHUP == 0x2000U, "epoll's bit values (epoll_ctl(2))");
constexpr unsigned table_index(std::uint32_t events) noexcept {
  return (events & kMappedLow) | ((events >> 8) & 0x20U);
}

struct EpollTable {
  std::uint8_t to_io[64];
  constexpr EpollTable() : to_io{} {
    for (std::uint32_t i = 0; i < 64; ++i) {
      to_io[i] = static_cast<std::uint8_t>(from_epoll_bits((i & kMappedLow) | ((i & 0x20U) != 0U ? EPOLLRDHUP : 0U)));
    }
  }
};
inline constexpr EpollTable kEpollTable;

inline unsigned from_epoll(std::uint32_t events) noexcept { return kEpollTable.to_io[table_index(events)]; }

static_assert(kEpollTable.to_io[table_index(EPOLLIN | EPOLLOUT)] == (kReadable | kWritable));
static_assert(kEpollTable.to_io[table_index(EPOLLRDHUP | EPOLLHUP | EPOLLERR)] ==
              (kReadable | kPeerClosed | kHangup | kError));

}  // namespace eddy::detail
