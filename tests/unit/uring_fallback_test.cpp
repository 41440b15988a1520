// The uring backend where the kernel refuses io_uring: each refusal is
// forced in a child process by a seccomp filter that fails one system call
// with a chosen errno (what Docker's default profile, a sandbox or
// kernel.io_uring_disabled do), and the child checks that its loop runs on
// epoll, that one warning says why, and that the loop still works.
#include "support/pipe.hpp"

#include <eddy/io_watcher.hpp>
#include <eddy/log.hpp>
#include <eddy/loop.hpp>

#include <gtest/gtest.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

#if defined(__x86_64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_AARCH64;
#else
constexpr unsigned kAuditArch = 0;  // the tests skip
#endif

// Makes system call `nr` fail with `error` in this process from now on.
bool refuse_syscall(long nr, int error) {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<unsigned>(error) & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

std::vector<std::string>* g_warnings = nullptr;

void keep_warning(eddy::LogLevel level, std::string_view message) {
  if (level >= eddy::LogLevel::kWarning && g_warnings != nullptr) {
    g_warnings->emplace_back(message);
  }
}

// What the child found, or the first thing that went wrong.
std::string check_in_child(long nr, int error, bool through_environment, const std::string& expected_reason) {
  if (!refuse_syscall(nr, error)) {
    return "seccomp filter refused: errno " + std::to_string(errno);
  }
  std::vector<std::string> warnings;
  g_warnings = &warnings;
  eddy::set_log_sink(&keep_warning);
  if (through_environment) {
    ::setenv("EDDY_BACKEND", "uring", 1);
  }
  // Two loops: the second falls back too, without a second line.
  eddy::Loop loop(eddy::LoopOptions{through_environment ? "" : "uring"});
  eddy::Loop second(eddy::LoopOptions{"uring"});
  if (loop.backend_name() != "epoll" || second.backend_name() != "epoll") {
    return "backend is " + std::string(loop.backend_name()) + ", not epoll";
  }
  if (warnings.size() != 1) {
    return std::to_string(warnings.size()) + " warnings, not 1";
  }
  const std::string& line = warnings.front();
  if (line.find("io_uring unavailable") == std::string::npos || line.find(expected_reason) == std::string::npos ||
      line.find("using epoll") == std::string::npos) {
    return "warning does not say why: " + line;
  }
  eddy::test::Pipe pipe;
  bool seen = false;
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [&](unsigned) {
    seen = true;
    loop.stop();
  });
  watcher.start(eddy::kReadable);
  pipe.write_byte();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    loop.run_once(100ms);
  }
  return seen ? "ok" : "the fallback loop did not report a readable pipe";
}

// Runs check_in_child in a fork and returns its answer, bounded in time.
std::string run_refused(long nr, int error, bool through_environment, const std::string& expected_reason) {
  int fds[2];
  if (::pipe(fds) != 0) {
    return "pipe failed";
  }
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    const std::string answer = check_in_child(nr, error, through_environment, expected_reason);
    (void)!::write(fds[1], answer.data(), answer.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd{fds[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      answer = "child timed out; it said: " + answer;
      ::kill(child, SIGKILL);
      break;
    }
    char chunk[256];
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) {
      break;
    }
    answer.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    answer += " (child died, status " + std::to_string(status) + ")";
  }
  return answer;
}

class UringFallback : public testing::Test {
 protected:
  void SetUp() override {
    if (kAuditArch == 0) {
      GTEST_SKIP() << "no seccomp audit arch for this CPU in the test";
    }
  }
};

TEST_F(UringFallback, SeccompEpermFallsBackToEpollWithOneLine) {
  EXPECT_EQ(run_refused(SYS_io_uring_setup, EPERM, false, "io_uring_setup: Operation not permitted"), "ok");
}

TEST_F(UringFallback, KernelWithoutIoUringFallsBackToEpoll) {
  EXPECT_EQ(run_refused(SYS_io_uring_setup, ENOSYS, false, "io_uring_setup: Function not implemented"), "ok");
}

TEST_F(UringFallback, EddyBackendVariableFallsBackTheSameWay) {
  EXPECT_EQ(run_refused(SYS_io_uring_setup, EPERM, true, "io_uring_setup: Operation not permitted"), "ok");
}

// A kernel whose rings cannot be probed for the operations the backend
// needs (io_uring_register(IORING_REGISTER_PROBE) came in 5.6) is treated
// as one that lacks them.
TEST_F(UringFallback, RingWithoutTheNeededOperationsFallsBackToEpoll) {
  EXPECT_EQ(run_refused(SYS_io_uring_register, EINVAL, false, "IORING_OP_POLL_ADD"), "ok");
}

}  // namespace
