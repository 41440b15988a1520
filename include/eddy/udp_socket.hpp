#pragma once

#include <eddy/function.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/socket_address.hpp>
#include <eddy/unique_fd.hpp>

#include <cstddef>
#include <span>
#include <system_error>
#include <vector>

namespace eddy {

class Loop;

struct UdpBindOptions {
  // SO_REUSEPORT: other sockets with the option set, of any process of the
  // same user, may bind the same port and take a share of its datagrams.
  // Off (the default), binding a port that any socket holds fails with
  // EADDRINUSE.
  bool share_port_with_other_processes = false;
};

// A UDP socket for datagram protocols.
//
// on_receive gets each datagram with its sender, on the loop's thread; the
// bytes are valid only during the call. Up to `receive_batch` datagrams are
// read per readiness; on the uring backend a request in the ring receives
// them instead, one per loop iteration, with no system call of its own. A datagram longer than max_datagram is truncated
// (and reported with truncated = true). send_to() never blocks: when the
// socket buffer is full it returns std::errc::resource_unavailable_try_again
// and the datagram is dropped, as UDP allows.
//
// Loop thread only.
class UdpSocket {
 public:
  struct Datagram {
    std::span<const char> data;
    const SocketAddress& peer;
    bool truncated;
  };
  using ReceiveCallback = Function<void(UdpSocket& socket, const Datagram& datagram)>;

  UdpSocket(Loop& loop, ReceiveCallback on_receive, std::size_t max_datagram = 65536);
  ~UdpSocket();

  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Binds and starts receiving. Errors are the errno of the step that
  // failed; the caller names the address ("cannot bind 0.0.0.0:25341: ...").
  std::error_code bind(const SocketAddress& address, const UdpBindOptions& options = {});
  // Opens an unbound socket of the address's family (for a client) and
  // starts receiving replies.
  std::error_code open(int family);
  std::error_code send_to(std::span<const char> data, const SocketAddress& peer) noexcept;
  void close() noexcept;

  SocketAddress local_address() const noexcept;
  int fd() const noexcept { return socket_.get(); }

 private:
  std::error_code adopt(UniqueFd socket);
  std::error_code watch();
  std::error_code start_receive();
  void on_watcher(unsigned events);
  void on_readable();

  ReceiveCallback on_receive_;
  UniqueFd socket_;
  IoWatcher watcher_;
  std::vector<char> receive_buffer_;
  std::size_t receive_batch_ = 32;
};

}  // namespace eddy
