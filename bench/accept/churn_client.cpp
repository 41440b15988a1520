// eddy-bench-churn: connection churn against an echo server, for the cost
// of accepting (bench/accept/run.sh). Each of --clients threads repeats:
// connect, send one 64-byte message, read its echo, close, for --duration
// seconds. It then prints one line of JSON: connections completed, seconds,
// and, with --server-pid, the server's CPU seconds over the run in all and
// per thread (from /proc/PID/stat and /proc/PID/task/*/stat), so that the
// balance between a server's threads shows too.
//
// The client closes first, so TIME_WAIT is on its side; on loopback Linux
// reuses those ports at once (net.ipv4.tcp_tw_reuse = 2, the default).
//
// Usage: eddy-bench-churn --port N [--clients C] [--duration S] [--server-pid PID]
// Exit codes: 0 when every connection was echoed, 1 on an error, 2 for bad usage.

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kMessage = 64;

// utime + stime of a /proc stat file, in clock ticks; the command name in
// parentheses may hold spaces, so fields are counted after its ')'.
long cpu_ticks(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) {
    return 0;
  }
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  long ticks = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14 || i == 15) {
      ticks += std::stol(field);
    }
  }
  return ticks;
}

std::map<std::string, long> thread_ticks(long pid) {
  std::map<std::string, long> ticks;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* entry = ::readdir(d)) {
      if (entry->d_name[0] != '.') {
        ticks[entry->d_name] = cpu_ticks(dir + "/" + entry->d_name + "/stat");
      }
    }
    ::closedir(d);
  }
  return ticks;
}

bool echo_once(const sockaddr_in& server) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  char out[kMessage];
  std::memset(out, 'x', sizeof out);
  char in[kMessage];
  std::size_t got = 0;
  bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) == 0 &&
            ::send(fd, out, sizeof out, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof out);
  while (ok && got < sizeof in) {
    const ssize_t n = ::recv(fd, in + got, sizeof in - got, 0);
    ok = n > 0;
    got += ok ? static_cast<std::size_t>(n) : 0;
  }
  ::close(fd);
  return ok && std::memcmp(in, out, sizeof out) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int clients = 2;
  double duration = 3;
  long server_pid = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (flag == "--clients") {
      clients = std::atoi(argv[i + 1]);
    } else if (flag == "--duration") {
      duration = std::atof(argv[i + 1]);
    } else if (flag == "--server-pid") {
      server_pid = std::atol(argv[i + 1]);
    } else {
      std::fprintf(stderr, "eddy-bench-churn: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (port <= 0 || port > 65535 || clients <= 0 || duration <= 0) {
    std::fprintf(stderr, "usage: eddy-bench-churn --port N [--clients C] [--duration S] [--server-pid PID]\n");
    return 2;
  }
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<std::uint16_t>(port));
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  const auto before = server_pid != 0 ? thread_ticks(server_pid) : std::map<std::string, long>{};
  const long process_before = server_pid != 0 ? cpu_ticks("/proc/" + std::to_string(server_pid) + "/stat") : 0;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(duration));
  std::atomic<long> done{0};
  std::atomic<long> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&] {
      while (std::chrono::steady_clock::now() < end) {
        (echo_once(server) ? done : failed).fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double tick = 1.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::printf("{\"connections\": %ld, \"failed\": %ld, \"seconds\": %.3f", done.load(), failed.load(), seconds);
  if (server_pid != 0) {
    const long process_after = cpu_ticks("/proc/" + std::to_string(server_pid) + "/stat");
    std::printf(", \"server_cpu_s\": %.2f, \"thread_cpu_s\": [", static_cast<double>(process_after - process_before) * tick);
    const char* separator = "";
    for (const auto& [tid, ticks] : thread_ticks(server_pid)) {
      const auto was = before.find(tid);
      std::printf("%s%.2f", separator, static_cast<double>(ticks - (was == before.end() ? 0 : was->second)) * tick);
      separator = ", ";
    }
    std::printf("]");
  }
  std::printf("}\n");
  return failed.load() == 0 ? 0 : 1;
}
