#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>
#include <eddy/tcp_connect.hpp>
#include <eddy/timer.hpp>

#include "sys/socket.hpp"

#include <memory>

namespace eddy {
namespace {

// One connection attempt. It owns itself: it is created by connect() and
// deletes itself right before calling the user back, exactly once.
class PendingConnect {
 public:
  PendingConnect(Loop& loop, UniqueFd socket, ConnectCallback on_connected, const TcpConnectionOptions& options)
      : loop_(loop),
        socket_(std::move(socket)),
        options_(options),
        on_connected_(std::move(on_connected)),
        watcher_(loop, socket_.get(), [this](unsigned /*events*/) { on_writable(); }),
        timer_(loop, [this] { complete(std::make_error_code(std::errc::timed_out)); }) {}

  // Reports an error found before the attempt could start.
  void fail_now(std::error_code error) { complete(error); }

  void start(Duration timeout) {
    std::error_code ec;
    // A non-blocking connect reports its outcome as writability (connect(2),
    // EINPROGRESS); errors arrive as kError, also delivered to this watcher.
    watcher_.start(kWritable, ec);
    if (ec) {
      complete(ec);
      return;
    }
    if (timeout > Duration::zero()) {
      timer_.start(timeout);
    }
  }

 private:
  void on_writable() { complete(sys::socket_error(socket_.get())); }

  void complete(std::error_code error) {
    watcher_.stop();
    TcpConnection::Ptr connection;
    if (!error) {
      connection = TcpConnection::adopt(loop_, std::move(socket_), options_);
    }
    ConnectCallback on_connected = std::move(on_connected_);
    delete this;  // before the callback: it may run the loop's other work, or connect again
    on_connected(error, std::move(connection));
  }

  Loop& loop_;
  UniqueFd socket_;
  TcpConnectionOptions options_;
  ConnectCallback on_connected_;
  IoWatcher watcher_;
  Timer timer_;
};

}  // namespace

void connect(Loop& loop, const SocketAddress& address, Duration timeout, ConnectCallback on_connected,
             const TcpConnectionOptions& options) {
  std::error_code ec;
  UniqueFd socket = sys::connect_tcp(address, ec);
  auto* pending = new PendingConnect(loop, std::move(socket), std::move(on_connected), options);
  if (ec) {
    // Report from the loop like every other outcome, never from inside connect().
    loop.defer([pending, ec] { pending->fail_now(ec); });
    return;
  }
  pending->start(timeout);
}

void connect(Loop& loop, std::string_view host, std::uint16_t port, Duration timeout, ConnectCallback on_connected,
             const TcpConnectionOptions& options) {
  std::optional<SocketAddress> address = SocketAddress::parse(host == "localhost" ? "127.0.0.1" : host, port);
  if (!address) {
    auto* pending = new PendingConnect(loop, UniqueFd(), std::move(on_connected), options);
    loop.defer([pending] { pending->fail_now(std::make_error_code(std::errc::invalid_argument)); });
    return;
  }
  connect(loop, *address, timeout, std::move(on_connected), options);
}

}  // namespace eddy
