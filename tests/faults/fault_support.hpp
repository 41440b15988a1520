#pragma once

// What the fault-injection tests share: the server's descriptor count, a
// fresh-client check, byte streams that can be checked without being stored,
// raw client sockets with options TcpClient does not offer, and the totals of
// eddy-echo's --stats lines.

#include "../apps/echo_process.hpp"
#include "../apps/tcp_client.hpp"

#include <eddy/unique_fd.hpp>

#include <gtest/gtest.h>

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace echo_test {

// Entries of /proc/PID/fd: every descriptor the process holds.
std::size_t open_fd_count(pid_t pid);

// What the process's descriptors point to, one entry per descriptor, kinds
// only ("socket", "anon_inode:[eventpoll]", "/dev/null", "pipe"), sorted, for
// failure messages that say which descriptor is missing or extra.
std::vector<std::string> fd_kinds(pid_t pid);
// "missing: ...; extra: ..." between two fd_kinds() lists.
std::string fd_kinds_difference(const std::vector<std::string>& before, const std::vector<std::string>& after);

// Waits until the process holds exactly `expected` descriptors; true with
// the time it took, false at the deadline (the last count is in `last`).
struct FdRecovery {
  bool recovered = false;
  std::chrono::milliseconds took{0};
  std::size_t last = 0;
};
FdRecovery wait_for_fd_count(pid_t pid, std::size_t expected, Deadline deadline);

// Prints "FIGURE <Suite.Test[.backend]> <name>=<value>" on stdout and records
// it as a GoogleTest property, so that a run's figures can be collected with
// grep from ctest's output or the XML report.
void report_figure(const std::string& name, const std::string& value);
void report_figure(const std::string& name, double value);

// The closing checks every fault test makes: the server is still running,
// its descriptor count is back to `baseline` (the count before the test's
// clients connected), a new client gets 256 KiB echoed byte for byte, and
// the count is back again after it left.
::testing::AssertionResult recovers_to_baseline(EchoServerProcess& server, std::size_t baseline);

// A deterministic byte stream per `id` (a window into a shared table of
// random bytes starting at an offset derived from id), so that megabytes can
// be sent and checked on the fly without keeping a copy.
class PatternStream {
 public:
  explicit PatternStream(std::uint64_t id);
  // At most `max` bytes of the stream from `offset` on (fewer at the end of
  // the table; never empty when max > 0).
  std::string_view chunk(std::uint64_t offset, std::size_t max) const;
  // Whether `data` equals the stream at `offset`.
  bool matches(std::uint64_t offset, std::string_view data) const;

 private:
  std::uint64_t shift_;
};

// A non-blocking client socket connected to ip:port, for what TcpClient does
// not do: small socket buffers set before the handshake (a small receive
// buffer makes the server's output queue up at once; a small send buffer
// makes the client's sends stall as soon as the server stops reading), sends that ignore errors, and a close
// with FIN or RST chosen by the caller. Throws std::runtime_error when the
// connection cannot be made before the deadline.
class RawClient {
 public:
  static RawClient connect(const std::string& ip, std::uint16_t port, Deadline deadline, int receive_buffer = 0,
                           int send_buffer = 0);

  int fd() const noexcept { return socket_.get(); }
  // One send(MSG_NOSIGNAL); the bytes taken, 0 on EAGAIN, -1 on an error.
  long send_some(std::string_view data);
  // Sends the stream of `stream` until the socket has taken nothing for
  // `stall` or `limit` bytes went out; returns the bytes sent.
  std::size_t fill_until_stalled(const PatternStream& stream, std::size_t limit, std::chrono::milliseconds stall,
                                 Deadline deadline);
  // Reads until `expected` bytes have come, checking them against `stream`
  // from offset 0; stops early at a difference, EOF, a reset or the
  // deadline. Returns the bytes that came back equal, in order.
  std::uint64_t read_and_check(const PatternStream& stream, std::uint64_t expected, Deadline deadline);
  // Closes with FIN (close) or RST (SO_LINGER {1, 0} then close).
  void close_with_fin();
  void close_with_rst();

 private:
  explicit RawClient(eddy::UniqueFd socket) : socket_(std::move(socket)) {}
  eddy::UniqueFd socket_;
};

// The totals (the number after '/', or the gauge) of the last complete
// "stats" line on the server's stderr; empty when there is none yet.
std::map<std::string, std::uint64_t> last_stats_totals(const std::string& err);

// Collects the server's stderr until its last stats line satisfies `done`,
// looking only at lines printed after a first 0.3 s of collecting (so the
// server must run with --stats 0.2 or less).
bool wait_for_stats(EchoServerProcess& server,
                    const std::function<bool(const std::map<std::string, std::uint64_t>&)>& done, Deadline deadline);

// Runs `body(i)` for i in [0, count) on as many threads and returns the
// messages of the exceptions they threw ("thread i: what"), in order.
std::vector<std::string> run_on_threads(int count, const std::function<void(int)>& body);

// Sets `flag` when it goes out of scope, however the scope is left, so that
// threads waiting for the flag end even when the thread that owns it throws.
class SetOnExit {
 public:
  explicit SetOnExit(std::atomic<bool>& flag) : flag_(flag) {}
  SetOnExit(const SetOnExit&) = delete;
  SetOnExit& operator=(const SetOnExit&) = delete;
  ~SetOnExit() { flag_ = true; }

 private:
  std::atomic<bool>& flag_;
};

// Joins `errors` into one line per error, for a failure message.
std::string joined(const std::vector<std::string>& errors);

}  // namespace echo_test
