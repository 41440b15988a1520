// Fuzzes eddy-echo's data path: a TcpConnection whose on_data writes its
// input back (connection.write(std::move(input))), driven by a peer that the
// input scripts.
//
// Input: a header byte (TCP loopback or an AF_UNIX socketpair, small
// socketpair buffers, the backend, the high watermark, the read size),
// then peer operations: send a chunk, read some, run the loop, half-close,
// close, reset. After the script the peer reads until it has everything back, or
// until the connection is closed.
//
// Checks: what the peer reads back is always a prefix of what it sent, and
// all of it unless the peer closed or reset first; on_close runs exactly
// once when the peer ended the connection, with kEof (after a half-close)
// or kEof/kReset (after a close or reset), never otherwise, and never after
// the Ptr was destroyed; the process has as many fds open after the input
// as before. Every loop has an iteration cap.

#include "fuzz_input.hpp"
#include "net/open_fds.hpp"
#include "net/tcp_pair.hpp"

#include <eddy/buffer.hpp>
#include <eddy/close_reason.hpp>
#include <eddy/loop.hpp>
#include <eddy/tcp_connection.hpp>
#include <eddy/unique_fd.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace {

using eddy::fuzz::FuzzInput;

constexpr std::size_t kMaxOps = 64;
constexpr int kMaxSpins = 4000;  // zero-timeout iterations while waiting for the echo or the close
// Then 1 ms iterations, before declaring bytes lost: more than the 200 ms
// of TCP's minimum RTO, after which a sender probes a closed window
// (tcp(7); the inputs avoid tiny TCP buffers, which make that routine).
constexpr int kMaxWaits = 400;

enum class PeerEnd { kOpen, kHalfClosed, kClosed, kReset };

struct Outcome {
  int closes = 0;
  eddy::CloseInfo info{eddy::CloseReason::kLocal, {}};
  bool destroyed = false;
};

struct Peer {
  eddy::UniqueFd fd;
  std::string sent;
  std::string received;
  PeerEnd end = PeerEnd::kOpen;
  bool saw_eof = false;    // read() returned 0
  bool saw_error = false;  // ECONNRESET or EPIPE
};

std::string pattern(std::uint8_t seed, std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<char>(static_cast<std::uint8_t>(seed + i * 13 + (i >> 9)));
  }
  return out;
}

void peer_send(Peer& peer, std::string_view bytes) {
  if (bytes.empty() || peer.end != PeerEnd::kOpen || peer.saw_error) {
    return;
  }
  const ssize_t n = ::send(peer.fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) {
    peer.sent.append(bytes.substr(0, static_cast<std::size_t>(n)));
    return;
  }
  // The echo side may have closed already (after a half-close of ours).
  EDDY_FUZZ_CHECK(n < 0);
  EDDY_FUZZ_CHECK(errno == EAGAIN || errno == EPIPE || errno == ECONNRESET);
  peer.saw_error = errno != EAGAIN;
}

// Reads up to `limit` bytes of what is there now; checks the prefix rule.
void peer_read(Peer& peer, std::size_t limit) {
  if (peer.end == PeerEnd::kClosed || peer.end == PeerEnd::kReset || peer.saw_eof || peer.saw_error) {
    return;
  }
  char chunk[16384];
  while (limit > 0) {
    const std::size_t want = limit < sizeof chunk ? limit : sizeof chunk;
    const ssize_t n = ::recv(peer.fd.get(), chunk, want, MSG_DONTWAIT);
    if (n > 0) {
      peer.received.append(chunk, static_cast<std::size_t>(n));
      limit -= static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      peer.saw_eof = true;
    } else {
      EDDY_FUZZ_CHECK(errno == EAGAIN || errno == ECONNRESET);
      peer.saw_error = errno == ECONNRESET;
    }
    break;
  }
  // The echo never invents, reorders or repeats a byte.
  EDDY_FUZZ_CHECK(peer.received.size() <= peer.sent.size());
  EDDY_FUZZ_CHECK(std::string_view(peer.sent).substr(0, peer.received.size()) == peer.received);
}

void spin(eddy::Loop& loop, int times) {
  for (int i = 0; i < times; ++i) {
    loop.run_once(eddy::Duration::zero());
  }
}

// Both ends of a stream connection: TCP over loopback when asked and
// possible (a run that has used up the ephemeral ports falls back),
// else an AF_UNIX socketpair, which TcpConnection takes as well.
//
// Small buffers only for the socketpair: over TCP, 4 KiB buffers close the
// receive window against loopback's 64 KiB MSS, and the sender then waits
// for its persist timer (200 ms or more) to probe it. Correct, and too slow
// for a fuzzer.
eddy::test::TcpPair make_pair(bool tcp, bool small_buffers) {
  const int buffer_size = small_buffers ? 4096 : 0;
  if (tcp) {
    try {
      return eddy::test::make_tcp_pair({AF_INET, 0});
    } catch (const std::system_error&) {
      // EADDRNOTAVAIL and the like: the socketpair below tests the same path.
    }
  }
  int fds[2];
  EDDY_FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
  eddy::test::TcpPair pair{eddy::UniqueFd(fds[0]), eddy::UniqueFd(fds[1])};
  if (small_buffers) {
    for (const int fd : fds) {
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_size, sizeof buffer_size);
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_size, sizeof buffer_size);
    }
  }
  return pair;
}

void reset_peer(Peer& peer) {
  const linger abortive{1, 0};
  ::setsockopt(peer.fd.get(), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  peer.fd.reset();
}

void run_input(FuzzInput& in) {
  const std::uint8_t header = in.u8();
  const bool tcp = (header & 0x01U) != 0;
  const bool small_buffers = (header & 0x02U) != 0;
  eddy::LoopOptions loop_options;
  loop_options.backend = (header & 0x04U) != 0 ? "poll" : "epoll";
  eddy::TcpConnectionOptions options;
  constexpr std::size_t kHighWatermarks[] = {1024 * 1024, 64, 4096, 65536};
  constexpr std::size_t kReadSizes[] = {64 * 1024, 7, 100, 16384};
  options.high_watermark = kHighWatermarks[(header >> 3) & 3U];
  options.read_size = kReadSizes[(header >> 5) & 3U];
  // The echo takes one read per iteration: a cap on the bytes sent bounds
  // the iterations an input needs (a few hundred).
  const std::size_t max_sent = std::min<std::size_t>(options.read_size * 512, 256 * 1024);

  eddy::Loop loop(loop_options);
  eddy::test::TcpPair pair = make_pair(tcp, small_buffers);
  Peer peer;
  peer.fd = std::move(pair.peer);
  Outcome outcome;

  eddy::TcpConnection::Ptr connection = eddy::TcpConnection::adopt(loop, std::move(pair.ours), options);
  connection->on_data([](eddy::TcpConnection& c, eddy::Buffer& input) {
    EDDY_FUZZ_CHECK(!input.empty());
    EDDY_FUZZ_CHECK(c.is_open());
    c.write(std::move(input));
  });
  connection->on_close([&outcome](eddy::TcpConnection& c, const eddy::CloseInfo& info) {
    EDDY_FUZZ_CHECK(!outcome.destroyed);
    EDDY_FUZZ_CHECK(!c.is_open() && c.fd() == -1);
    ++outcome.closes;
    outcome.info = info;
  });
  connection->start();

  for (std::size_t ops = 0; ops < kMaxOps && !in.empty() && peer.fd; ++ops) {
    switch (in.u8() % 8) {
      case 0:
      case 1: {  // send a chunk
        const std::uint8_t seed = in.u8();
        const std::size_t length = in.flag() ? in.upto(65535) : in.small(255);
        const std::size_t room = max_sent - peer.sent.size();
        peer_send(peer, pattern(seed, length < room ? length : room));
        break;
      }
      case 2:  // read some
        peer_read(peer, in.flag() ? SIZE_MAX : in.small(255));
        break;
      case 3:
      case 4:  // let the connection work
        spin(loop, 1 + static_cast<int>(in.small(3)));
        break;
      case 5:  // half-close
        if (peer.end == PeerEnd::kOpen) {
          ::shutdown(peer.fd.get(), SHUT_WR);
          peer.end = PeerEnd::kHalfClosed;
        }
        break;
      case 6:  // close: the script ends
        peer.fd.reset();
        peer.end = PeerEnd::kClosed;
        break;
      default:  // reset: the script ends
        reset_peer(peer);
        peer.end = PeerEnd::kReset;
        break;
    }
  }

  if (peer.end == PeerEnd::kOpen || peer.end == PeerEnd::kHalfClosed) {
    // Read until everything came back (and, after a half-close, until the
    // connection closed in turn), spinning the loop in between.
    auto done = [&] {
      if (peer.saw_error) {
        return true;  // only after the echo side closed: checked below
      }
      if (peer.received.size() != peer.sent.size()) {
        return peer.saw_eof;
      }
      return peer.end == PeerEnd::kOpen || (outcome.closes == 1 && peer.saw_eof);
    };
    for (int i = 0; i < kMaxSpins + kMaxWaits && !done(); ++i) {
      loop.run_once(i < kMaxSpins ? eddy::Duration::zero() : eddy::Duration(std::chrono::milliseconds(1)));
      peer_read(peer, SIZE_MAX);
    }
    if (peer.end == PeerEnd::kOpen) {
      // Nobody closed anything: every byte came back, the connection is open.
      EDDY_FUZZ_CHECK(!peer.saw_eof && !peer.saw_error);
      EDDY_FUZZ_CHECK(peer.received == peer.sent);
      EDDY_FUZZ_CHECK(outcome.closes == 0);
      EDDY_FUZZ_CHECK(connection->is_open());
    } else {
      // A half-close: the echo of everything, then the connection's own FIN.
      EDDY_FUZZ_CHECK(peer.received == peer.sent);
      EDDY_FUZZ_CHECK(peer.saw_eof && !peer.saw_error);
      EDDY_FUZZ_CHECK(outcome.closes == 1);
      EDDY_FUZZ_CHECK(outcome.info.reason == eddy::CloseReason::kEof && !outcome.info.error);
    }
  } else {
    // The peer closed or reset: the connection notices and closes.
    for (int i = 0; i < kMaxSpins + kMaxWaits && outcome.closes == 0; ++i) {
      loop.run_once(i < kMaxSpins ? eddy::Duration::zero() : eddy::Duration(std::chrono::milliseconds(1)));
    }
    EDDY_FUZZ_CHECK(outcome.closes == 1);
    const eddy::CloseReason reason = outcome.info.reason;
    EDDY_FUZZ_CHECK(reason == eddy::CloseReason::kEof || reason == eddy::CloseReason::kReset);
    EDDY_FUZZ_CHECK((reason == eddy::CloseReason::kReset) == static_cast<bool>(outcome.info.error));
  }

  // Destroying the Ptr closes an open connection without on_close.
  const int closes_before = outcome.closes;
  connection.reset();
  outcome.destroyed = true;
  spin(loop, 2);
  EDDY_FUZZ_CHECK(outcome.closes == closes_before);
  if (peer.fd) {
    reset_peer(peer);  // no TIME_WAIT left behind by thousands of inputs
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::size_t fds_before = eddy::test::open_fd_count();
  {
    FuzzInput in(data, size);
    run_input(in);
  }
  EDDY_FUZZ_CHECK(eddy::test::open_fd_count() == fds_before);
  return 0;
}
