#pragma once

#include <eddy/unique_fd.hpp>

#include <cstddef>
#include <cstdint>
#include <thread>

namespace echo_test {

// A TCP "echo" server on a thread of the test, listening on 127.0.0.1, that
// misbehaves in one chosen way, so that eddy-load meets the peers it must
// survive and report:
//   kFlipByte   echoes everything, with byte `at` of each connection's
//               stream inverted (a corrupting peer);
//   kCloseAfter echoes the first `at` bytes of each connection, then closes
//               it (a server that drops connections mid-run);
//   kBlackHole  reads everything and never answers.
// The destructor stops the thread and closes every socket.
class MisbehavingServer {
 public:
  enum class Behaviour { kFlipByte, kCloseAfter, kBlackHole };

  MisbehavingServer(Behaviour behaviour, std::size_t at);
  ~MisbehavingServer();

  MisbehavingServer(const MisbehavingServer&) = delete;
  MisbehavingServer& operator=(const MisbehavingServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }

 private:
  void run();

  Behaviour behaviour_;
  std::size_t at_;
  eddy::UniqueFd listener_;
  eddy::UniqueFd wake_read_;   // the destructor writes to wake_write_ to stop run()
  eddy::UniqueFd wake_write_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace echo_test
