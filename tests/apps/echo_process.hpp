#pragma once

#include "child_process.hpp"
#include "deadline.hpp"

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace echo_test {

// The backend these tests run on: EDDY_BACKEND (ctest registers every test
// once with epoll and once with poll), else eddy's default, epoll.
std::string backend_under_test();

// An eddy-echo server started for one test.
struct EchoServerProcess {
  ChildProcess process;
  std::string ip;
  std::uint16_t port = 0;
  std::string listening_line;  // e.g. "eddy-echo: listening on 127.0.0.1:40000 (poll, 2 threads)"
};

// Starts eddy-echo (with --backend backend_under_test(), which it also
// inherits through EDDY_BACKEND, and `extra_args`) on a free port of `ip`
// and waits for its "listening on" line. Tries another port when the chosen
// one was taken in the meantime. Throws std::runtime_error, with the
// server's stderr, when it does not come up.
EchoServerProcess start_echo_server(const std::string& ip = "127.0.0.1",
                                    const std::vector<std::string>& extra_args = {});

// The server's resident memory (VmRSS in /proc/PID/status), in bytes.
std::size_t resident_bytes(pid_t pid);

// Sends SIGTERM and waits for the exit; returns the status, or nullopt if
// the server is still running at the deadline (the destructor kills it).
std::optional<ExitStatus> terminate(EchoServerProcess& server, int signo = SIGTERM);

// Runs eddy-echo with exactly `args` (and `env` overrides) to completion, for
// command-line tests. The process is killed if it outlives the deadline.
struct EchoRun {
  std::optional<ExitStatus> status;  // nullopt: it did not exit in time
  std::string out;
  std::string err;
};
EchoRun run_echo(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

}  // namespace echo_test
