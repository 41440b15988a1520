#pragma once

#include "echo_connection.hpp"
#include <eddy/unique_fd.hpp>

#include <eddy/clock.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/timer.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace eddy {
class Loop;
}

namespace eddy_echo {

// Accepts connections on a listening socket and echoes each one
// (EchoConnection). The server owns its connections in a table keyed by
// socket; a connection leaves the table when it closes and is destroyed
// after its callback has returned.
//
// Running out of descriptors does not stop the server: it keeps one spare
// descriptor (on /dev/null) and, when accept fails with EMFILE or ENFILE,
// gives it up for a moment to accept the waiting client and close it at
// once. Without that, the client would stay in the listen queue and the
// level-triggered watcher would report the socket readable forever, a busy
// loop. This is reported on stderr at most once per second.
//
// Loop thread only.
class EchoServer {
 public:
  // `listener` is a non-blocking listening socket (listen_on()).
  EchoServer(eddy::Loop& loop, eddy::UniqueFd listener);

  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  // Starts accepting. Throws std::system_error when the spare descriptor
  // cannot be opened or the backend cannot watch the listening socket.
  void start();

  // Stops accepting, closes the listening socket and every connection at
  // once (output not yet sent is dropped). For shutdown; must not be called
  // from a connection's callback.
  void stop() noexcept;

 private:
  void on_acceptable();
  void add_connection(eddy::UniqueFd socket);
  void on_connection_close(EchoConnection& connection);
  enum class ShedResult { kShed, kQueueEmpty, kFailed };
  // Gives up the spare descriptor for a moment to accept one waiting client
  // and close it at once.
  ShedResult shed_connection();
  void report_shed();
  // Without a spare, waits a little before trying again instead of spinning
  // on a listening socket that stays readable.
  void pause_accepting();
  void resume_accepting();

  eddy::Loop& loop_;
  eddy::UniqueFd listener_;
  eddy::UniqueFd spare_fd_;
  std::vector<char> read_buffer_;  // shared by all connections (see EchoConnection)
  std::unordered_map<int, std::unique_ptr<EchoConnection>> connections_;
  eddy::IoWatcher accept_watcher_;
  eddy::Timer resume_timer_;
  std::optional<eddy::TimePoint> last_shed_report_;
  std::size_t shed_since_report_ = 0;
};

}  // namespace eddy_echo
