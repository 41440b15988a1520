// The uring backend where the kernel refuses io_uring: each refusal is
// forced in a child process by a seccomp filter that fails one system call
// with a chosen errno (what Docker's default profile, a sandbox or
// kernel.io_uring_disabled do), and the child checks that its loop runs on
// epoll, that one warning says why, and that the loop still works.
#include "support/child_answer.hpp"
#include "support/pipe.hpp"
#include "support/seccomp.hpp"

#include <eddy/io_watcher.hpp>
#include <eddy/log.hpp>
#include <eddy/loop.hpp>

#include <gtest/gtest.h>

#include <sys/syscall.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

std::vector<std::string>* g_warnings = nullptr;

void keep_warning(eddy::LogLevel level, std::string_view message) {
  if (level >= eddy::LogLevel::kWarning && g_warnings != nullptr) {
    g_warnings->emplace_back(message);
  }
}

// What the child found, or the first thing that went wrong.
std::string check_in_child(long nr, int error, bool through_environment, const std::string& expected_reason) {
  if (!eddy::test::refuse_calls({nr}, error)) {
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

// Runs check_in_child in a fork (a seccomp filter is for good) and returns
// its answer.
std::string run_refused(long nr, int error, bool through_environment, const std::string& expected_reason) {
  return eddy::test::answer_from_child([&] { return check_in_child(nr, error, through_environment, expected_reason); },
                                       20s);
}

class UringFallback : public testing::Test {
 protected:
  void SetUp() override {
    if (!eddy::test::seccomp_supported()) {
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
