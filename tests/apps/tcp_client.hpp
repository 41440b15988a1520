#pragma once

#include "deadline.hpp"
#include <eddy/unique_fd.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace echo_test {

// A non-blocking TCP client socket whose every operation ends at a deadline.
// Failures (timeout, unexpected EOF, errors) throw std::runtime_error with a
// message naming what was expected, which GoogleTest reports as a failure.
class TcpClient {
 public:
  // Connects to `ip` (an IPv4 or IPv6 literal) and `port`.
  static TcpClient connect(const std::string& ip, std::uint16_t port, Deadline deadline);

  int fd() const noexcept { return socket_.get(); }

  void send_all(std::string_view data, Deadline deadline);
  // Sends what the socket takes without waiting: 0 when its buffer is full.
  std::size_t send_some(std::string_view data);

  // Reads exactly `size` bytes; EOF or an error before that is a failure.
  std::string read_exact(std::size_t size, Deadline deadline);

  // Waits for data and returns what one read gives (at most `max_size`
  // bytes); empty when the peer closed the connection (EOF or reset).
  std::string read_some(std::size_t max_size, Deadline deadline);

  // Sends `data` while reading the echo at the same time, so that neither
  // side can block on a full buffer whatever the size; returns the
  // data.size() bytes that came back.
  std::string exchange(std::string_view data, Deadline deadline);

  // How the peer ended the connection, and what it sent before that.
  struct Ending {
    std::string received;
    bool reset = false;  // ECONNRESET rather than an orderly EOF
  };
  // Reads until EOF or reset; a failure at the deadline.
  Ending read_until_closed(Deadline deadline);

  // shutdown(SHUT_WR): the peer reads EOF; this side can still read.
  void shutdown_write();
  // Closes with SO_LINGER {1, 0}, so that the peer gets RST instead of FIN.
  void reset();

 private:
  explicit TcpClient(eddy::UniqueFd socket) : socket_(std::move(socket)) {}
  // Waits for `events` (POLLIN/POLLOUT); false at the deadline.
  bool wait_for(short events, Deadline deadline) const;

  eddy::UniqueFd socket_;
};

// Sends flood_bytes() without ever reading until the connection has taken
// nothing for half a second (the peer stopped reading, and every buffer on
// the way is full) or `limit` bytes went out; returns how many were sent.
std::size_t send_until_blocked(TcpClient& client, std::size_t limit, Deadline deadline);
// The first `size` bytes send_until_blocked() sends: random bytes in a block
// of odd size, repeated, so that a byte echoed at the wrong offset is noticed.
std::string flood_bytes(std::size_t size);

// A port on `ip` that nobody listens on right now: bind port 0, read the
// port the kernel chose, close. Another process may take it before the
// caller binds it, so callers retry on "Address already in use".
std::uint16_t pick_free_port(const std::string& ip);

// Whether this machine can bind `ip`, e.g. ::1 in a container without IPv6.
bool can_bind(const std::string& ip);

}  // namespace echo_test
