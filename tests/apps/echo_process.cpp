#include "echo_process.hpp"

#include "tcp_client.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace echo_test {

namespace {

using std::chrono::seconds;

// Generous: under AddressSanitizer on a loaded machine a start takes a while.
constexpr auto kStartTimeout = seconds(20);
constexpr auto kExitTimeout = seconds(20);
constexpr int kPortAttempts = 5;

}  // namespace

std::string backend_under_test() {
  const char* backend = std::getenv("EDDY_BACKEND");
  return backend != nullptr && *backend != '\0' ? backend : "epoll";
}

EchoServerProcess start_echo_server(const std::string& ip, const std::vector<std::string>& extra_args) {
  std::string failures;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    const std::uint16_t port = pick_free_port(ip);
    std::vector<std::string> args{"--bind", ip, "--port", std::to_string(port), "--backend", backend_under_test()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    EchoServerProcess server{ChildProcess::spawn(EDDY_ECHO_PATH, args), ip, port, {}};
    if (server.process.wait_for_stderr_line("listening on", deadline_in(kStartTimeout))) {
      const std::string& err = server.process.err();
      const std::size_t begin = err.rfind("eddy-echo:", err.find("listening on"));
      server.listening_line = err.substr(begin, err.find('\n', begin) - begin);
      return server;
    }
    server.process.wait_exit(deadline_in(seconds(5)));
    failures += "port " + std::to_string(port) + ": " + server.process.err();
    if (server.process.err().find("Address already in use") == std::string::npos) {
      break;  // a real failure, not a lost race for the port
    }
  }
  throw std::runtime_error("eddy-echo did not start listening: " + failures);
}

std::size_t resident_bytes(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  std::ifstream status(path);
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) {
      return static_cast<std::size_t>(std::stoull(line.substr(6))) * 1024;  // "VmRSS:    1234 kB"
    }
  }
  throw std::runtime_error("no VmRSS in " + path);
}

std::optional<ExitStatus> terminate(EchoServerProcess& server, int signo) {
  server.process.send_signal(signo);
  return server.process.wait_exit(deadline_in(kExitTimeout));
}

EchoRun run_echo(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  ChildProcess process = ChildProcess::spawn(EDDY_ECHO_PATH, args, env);
  EchoRun run;
  run.status = process.wait_exit(deadline_in(kExitTimeout));
  run.out = process.out();
  run.err = process.err();
  return run;
}

}  // namespace echo_test
