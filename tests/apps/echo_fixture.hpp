#pragma once

#include "child_process.hpp"
#include "echo_process.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace echo_test {

// Base of every eddy-echo test: after the test, no child process may be left
// (each ChildProcess kills and reaps its own by pid when destroyed).
class EchoProcessTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_FALSE(has_unreaped_children()) << "a test left a child process behind"; }
};

// The run ended with `code` and wrote exactly one line on stderr, prefixed
// "eddy-echo: " and containing each of `mentions`.
inline ::testing::AssertionResult fails_with_one_line(const EchoRun& run, int code, const std::vector<std::string>& mentions) {
  if (!run.status) {
    return ::testing::AssertionFailure() << "eddy-echo did not exit; stderr:\n" << run.err;
  }
  if (!run.status->exited_with(code)) {
    return ::testing::AssertionFailure() << "expected exit code " << code << ", got " << run.status->describe()
                                         << "; stderr:\n"
                                         << run.err;
  }
  const bool one_line = !run.err.empty() && run.err.find('\n') == run.err.size() - 1;
  if (!one_line || !run.err.starts_with("eddy-echo: ")) {
    return ::testing::AssertionFailure() << "expected one line starting with \"eddy-echo: \", got:\n" << run.err;
  }
  for (const std::string& mention : mentions) {
    if (run.err.find(mention) == std::string::npos) {
      return ::testing::AssertionFailure() << "stderr does not mention \"" << mention << "\": " << run.err;
    }
  }
  return ::testing::AssertionSuccess();
}

// `args` with --backend backend_under_test() after them.
inline std::vector<std::string> with_backend(std::vector<std::string> args) {
  args.push_back("--backend");
  args.push_back(backend_under_test());
  return args;
}

// `size` pseudo-random bytes of every value, zeros and newlines included, so
// that a server treating data as text (strlen, line splitting) fails.
inline std::string random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::string bytes(size, '\0');
  for (char& byte : bytes) {
    byte = static_cast<char>(generator() & 0xFF);
  }
  if (size > 2) {
    bytes[0] = '\0';
    bytes[size / 2] = '\0';
    bytes[size - 1] = '\n';
  }
  return bytes;
}

// Compares byte strings without printing megabytes on failure: reports the
// sizes and the first offset that differs.
inline ::testing::AssertionResult same_bytes(const std::string& expected, const std::string& actual) {
  if (expected == actual) {
    return ::testing::AssertionSuccess();
  }
  std::size_t offset = 0;
  while (offset < expected.size() && offset < actual.size() && expected[offset] == actual[offset]) {
    ++offset;
  }
  return ::testing::AssertionFailure() << "expected " << expected.size() << " bytes, got " << actual.size()
                                       << "; first difference at offset " << offset;
}

// Stops the server with `signo` and checks that it exits with code 0 in
// time. Under AddressSanitizer this is also the leak check: LeakSanitizer
// turns any block still allocated at exit into a failing exit status.
inline ::testing::AssertionResult exits_cleanly_on(EchoServerProcess& server, int signo = SIGTERM) {
  const std::optional<ExitStatus> status = terminate(server, signo);
  if (!status) {
    return ::testing::AssertionFailure() << "eddy-echo still running after signal " << signo << "; stderr:\n"
                                         << server.process.err();
  }
  if (!status->exited_with(0)) {
    return ::testing::AssertionFailure() << "eddy-echo ended with " << status->describe() << "; stderr:\n"
                                         << server.process.err();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace echo_test
