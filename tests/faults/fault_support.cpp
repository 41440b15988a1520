#include "fault_support.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <iterator>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace echo_test {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A prime, so that streams of different ids do not line up with each other
// or with power-of-two read sizes.
constexpr std::size_t kTableSize = (1U << 20) + 7;

// The table twice over, so that a window of up to kTableSize bytes starting
// anywhere in the first copy is contiguous.
const std::string& doubled_table() {
  static const std::string table = [] {
    std::mt19937_64 generator(20261202);
    std::string once(kTableSize, '\0');
    for (char& byte : once) {
      byte = static_cast<char>(generator() & 0xFF);
    }
    return once + once;
  }();
  return table;
}

std::string current_test_name() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) {
    return "?";
  }
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  if (const char* backend = std::getenv("EDDY_BACKEND")) {
    name += std::string(".") + backend;
  }
  return name;
}

}  // namespace

std::size_t open_fd_count(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    throw std::runtime_error("cannot list " + path + ": " + std::strerror(errno));
  }
  std::size_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') {
      ++count;
    }
  }
  ::closedir(dir);
  return count;
}

std::vector<std::string> fd_kinds(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd";
  std::vector<std::string> kinds;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    return kinds;
  }
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') {
      continue;
    }
    char target[256] = {};
    const ssize_t n = ::readlink((path + "/" + entry->d_name).c_str(), target, sizeof target - 1);
    std::string kind = n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string("?");
    if (kind.starts_with("socket:") || kind.starts_with("pipe:")) {
      kind = kind.substr(0, kind.find(':'));  // the inode differs from one connection to the next
    }
    kinds.push_back(kind);
  }
  ::closedir(dir);
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

std::string fd_kinds_difference(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  std::vector<std::string> missing;
  std::vector<std::string> extra;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(missing));
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(extra));
  std::string text = "missing:";
  for (const std::string& kind : missing) {
    text += " " + kind;
  }
  text += "; extra:";
  for (const std::string& kind : extra) {
    text += " " + kind;
  }
  return text;
}

FdRecovery wait_for_fd_count(pid_t pid, std::size_t expected, Deadline deadline) {
  const Clock::time_point start = Clock::now();
  FdRecovery recovery;
  for (;;) {
    recovery.last = open_fd_count(pid);
    recovery.took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    if (recovery.last == expected) {
      recovery.recovered = true;
      return recovery;
    }
    if (Clock::now() >= deadline) {
      return recovery;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
}

void report_figure(const std::string& name, const std::string& value) {
  static std::mutex output;
  const std::lock_guard<std::mutex> lock(output);
  std::cout << "FIGURE " << current_test_name() << " " << name << "=" << value << std::endl;
  ::testing::Test::RecordProperty(name, value);
}

void report_figure(const std::string& name, double value) {
  std::ostringstream text;
  text.precision(6);
  text << value;
  report_figure(name, text.str());
}

::testing::AssertionResult recovers_to_baseline(EchoServerProcess& server, std::size_t baseline) {
  if (server.process.has_exited()) {
    return ::testing::AssertionFailure() << "eddy-echo has exited; stderr:\n" << server.process.err();
  }
  const pid_t pid = server.process.pid();
  const FdRecovery recovery = wait_for_fd_count(pid, baseline, deadline_in(seconds(20)));
  if (!recovery.recovered) {
    return ::testing::AssertionFailure() << "the server holds " << recovery.last << " descriptors, " << baseline
                                         << " before the test's clients connected";
  }
  report_figure("fd_recovery_ms", static_cast<double>(recovery.took.count()));
  try {
    TcpClient fresh = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
    std::string data(256 * 1024, '\0');
    const PatternStream stream(999);
    for (std::size_t offset = 0; offset < data.size();) {
      const std::string_view piece = stream.chunk(offset, data.size() - offset);
      std::copy(piece.begin(), piece.end(), data.begin() + static_cast<std::ptrdiff_t>(offset));
      offset += piece.size();
    }
    if (fresh.exchange(data, deadline_in(seconds(30))) != data) {
      return ::testing::AssertionFailure() << "a fresh client's 256 KiB came back different";
    }
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "a fresh client was not served: " << e.what();
  }
  const FdRecovery after = wait_for_fd_count(pid, baseline, deadline_in(seconds(20)));
  if (!after.recovered) {
    return ::testing::AssertionFailure() << "after the fresh client left the server holds " << after.last
                                         << " descriptors, not " << baseline;
  }
  return ::testing::AssertionSuccess();
}

PatternStream::PatternStream(std::uint64_t id) : shift_((id * 104729U + 12345U) % kTableSize) {}

std::string_view PatternStream::chunk(std::uint64_t offset, std::size_t max) const {
  const std::size_t start = static_cast<std::size_t>((offset + shift_) % kTableSize);
  return std::string_view(doubled_table()).substr(start, std::min(max, kTableSize));
}

bool PatternStream::matches(std::uint64_t offset, std::string_view data) const {
  while (!data.empty()) {
    const std::string_view expected = chunk(offset, data.size());
    if (std::memcmp(expected.data(), data.data(), expected.size()) != 0) {
      return false;
    }
    offset += expected.size();
    data.remove_prefix(expected.size());
  }
  return true;
}

RawClient RawClient::connect(const std::string& ip, std::uint16_t port, Deadline deadline, int receive_buffer,
                             int send_buffer) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) {
    throw std::runtime_error("not an IPv4 address: " + ip);
  }
  eddy::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  }
  if (receive_buffer > 0) {
    // Before connect, so that the window advertised in the handshake is
    // already the small one (socket(7): SO_RCVBUF).
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  if (send_buffer > 0) {
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    if (errno != EINPROGRESS) {
      throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    }
    pollfd entry{fd.get(), POLLOUT, 0};
    while (::poll(&entry, 1, poll_timeout_ms(deadline)) == 0) {
      if (Clock::now() >= deadline) {
        throw std::runtime_error("connect: timed out");
      }
    }
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      throw std::runtime_error(std::string("connect: ") + std::strerror(error));
    }
  }
  return RawClient(std::move(fd));
}

long RawClient::send_some(std::string_view data) {
  for (;;) {
    const ssize_t n = ::send(fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      return static_cast<long>(n);
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return 0;
    }
    if (errno != EINTR) {
      return -1;
    }
  }
}

std::size_t RawClient::fill_until_stalled(const PatternStream& stream, std::size_t limit,
                                          std::chrono::milliseconds stall, Deadline deadline) {
  std::size_t sent = 0;
  Clock::time_point last_progress = Clock::now();
  while (sent < limit && Clock::now() - last_progress < stall && Clock::now() < deadline) {
    const long n = send_some(stream.chunk(sent, std::min<std::size_t>(limit - sent, 256 * 1024)));
    if (n < 0) {
      break;
    }
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      last_progress = Clock::now();
      continue;
    }
    pollfd entry{fd(), POLLOUT, 0};
    ::poll(&entry, 1, 10);
  }
  return sent;
}

std::uint64_t RawClient::read_and_check(const PatternStream& stream, std::uint64_t expected, Deadline deadline) {
  std::string chunk(256 * 1024, '\0');
  std::uint64_t received = 0;
  while (received < expected && Clock::now() < deadline) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), expected - received));
    const ssize_t n = ::recv(fd(), chunk.data(), want, 0);
    if (n > 0) {
      if (!stream.matches(received, std::string_view(chunk.data(), static_cast<std::size_t>(n)))) {
        return received;
      }
      received += static_cast<std::uint64_t>(n);
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      return received;
    } else {
      pollfd entry{fd(), POLLIN, 0};
      ::poll(&entry, 1, poll_timeout_ms(deadline, milliseconds(100)));
    }
  }
  return received;
}

void RawClient::close_with_fin() { socket_.reset(); }

void RawClient::close_with_rst() {
  const linger abort_on_close{1, 0};
  ::setsockopt(fd(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  socket_.reset();
}

std::map<std::string, std::uint64_t> last_stats_totals(const std::string& err) {
  std::map<std::string, std::uint64_t> totals;
  const std::string marker = "eddy-echo: stats ";
  std::size_t begin = std::string::npos;
  for (std::size_t at = err.find(marker); at != std::string::npos; at = err.find(marker, at + 1)) {
    if (err.find('\n', at) != std::string::npos) {
      begin = at;
    }
  }
  if (begin == std::string::npos) {
    return totals;
  }
  std::istringstream fields(err.substr(begin + marker.size(), err.find('\n', begin) - begin - marker.size()));
  std::string field;
  while (fields >> field) {
    const std::size_t equals = field.find('=');
    if (equals == std::string::npos || field.starts_with("interval=")) {
      continue;
    }
    const std::size_t slash = field.find('/');
    const std::string value = slash == std::string::npos ? field.substr(equals + 1) : field.substr(slash + 1);
    totals[field.substr(0, equals)] = std::stoull(value);
  }
  return totals;
}

bool wait_for_stats(EchoServerProcess& server,
                    const std::function<bool(const std::map<std::string, std::uint64_t>&)>& done, Deadline deadline) {
  // First take in what the pipe holds, for a while longer than the stats
  // interval the tests use (at most 0.2 s), so that the last line seen is
  // from after this call began, not one left in the pipe from long before.
  server.process.wait_for_stderr([](const std::string&) { return false; }, deadline_in(milliseconds(300)));
  return server.process.wait_for_stderr(
      [&done](const std::string& err) {
        const auto totals = last_stats_totals(err);
        return !totals.empty() && done(totals);
      },
      deadline);
}

std::vector<std::string> run_on_threads(int count, const std::function<void(int)>& body) {
  std::vector<std::string> errors(static_cast<std::size_t>(count));
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      try {
        body(i);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = "thread " + std::to_string(i) + ": " + e.what();
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  std::erase(errors, std::string());
  return errors;
}

std::string joined(const std::vector<std::string>& errors) {
  std::string text;
  for (const std::string& error : errors) {
    text += error + "\n";
  }
  return text;
}

}  // namespace echo_test
