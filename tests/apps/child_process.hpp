#pragma once

#include "deadline.hpp"
#include <eddy/unique_fd.hpp>

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace echo_test {

// How a child process ended (the status from waitpid).
struct ExitStatus {
  int raw = 0;

  bool exited_with(int code) const;
  // "exit code 2" or "killed by signal 6 (Aborted)", for failure messages.
  std::string describe() const;
};

// A program started by the test, with its stdout and stderr captured through
// pipes. The destructor kills it (SIGKILL, by pid) and reaps it if it is
// still running, so a failing test leaves no process behind.
class ChildProcess {
 public:
  // Starts `path` with `args` as argv[1..] and the test's environment, where
  // each "NAME=value" of `env` replaces or adds a variable. The child starts
  // with an empty signal mask and default dispositions, whatever the test
  // process has. Throws std::system_error when it cannot be started.
  static ChildProcess spawn(const std::string& path, const std::vector<std::string>& args,
                            const std::vector<std::string>& env = {});

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const noexcept { return pid_; }

  // Collects stderr until a complete line containing `text` has arrived.
  // False at the deadline, or when stderr closes first (the child exited).
  bool wait_for_stderr_line(std::string_view text, Deadline deadline);

  // Collects stderr until `done(err())` is true (checked after each chunk
  // arrives). False at the deadline, or when stderr closes first.
  bool wait_for_stderr(const std::function<bool(const std::string&)>& done, Deadline deadline);

  // Waits for the child to exit, collecting its output meanwhile. nullopt
  // when it is still running at the deadline.
  std::optional<ExitStatus> wait_exit(Deadline deadline);

  // True once the child has exited (reaps it; does not block).
  bool has_exited();

  void send_signal(int signo);

  // SIGKILL and reap; nothing once reaped.
  void kill_and_reap() noexcept;

  const std::string& out() const noexcept { return out_text_; }
  const std::string& err() const noexcept { return err_text_; }

 private:
  ChildProcess() = default;
  // Waits up to `timeout_ms` for output and appends what arrived.
  void collect_output(int timeout_ms);

  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
  eddy::UniqueFd out_pipe_;
  eddy::UniqueFd err_pipe_;
  std::string out_text_;
  std::string err_text_;
};

// True when this process has a child that was not reaped (a test leaked
// one). Reaps an exited one as a side effect.
bool has_unreaped_children();

}  // namespace echo_test
