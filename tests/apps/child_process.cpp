#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

extern char** environ;

namespace echo_test {

namespace {

std::system_error errno_error(const std::string& what) { return {errno, std::system_category(), what}; }

// The test's environment with `overrides` ("NAME=value") replacing or adding
// variables.
std::vector<std::string> merged_environment(const std::vector<std::string>& overrides) {
  std::vector<std::string> result;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    bool replaced = false;
    for (const std::string& override_entry : overrides) {
      const std::string_view name = std::string_view(override_entry).substr(0, override_entry.find('=') + 1);
      replaced = replaced || variable.starts_with(name);
    }
    if (!replaced) {
      result.emplace_back(variable);
    }
  }
  result.insert(result.end(), overrides.begin(), overrides.end());
  return result;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) {
    pointers.push_back(s.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

bool ExitStatus::exited_with(int code) const { return WIFEXITED(raw) && WEXITSTATUS(raw) == code; }

std::string ExitStatus::describe() const {
  if (WIFEXITED(raw)) {
    return "exit code " + std::to_string(WEXITSTATUS(raw));
  }
  if (WIFSIGNALED(raw)) {
    return "killed by signal " + std::to_string(WTERMSIG(raw)) + " (" + strsignal(WTERMSIG(raw)) + ")";
  }
  return "wait status " + std::to_string(raw);
}

ChildProcess ChildProcess::spawn(const std::string& path, const std::vector<std::string>& args,
                                 const std::vector<std::string>& env) {
  int out_fds[2];
  int err_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0) {
    throw errno_error("pipe2");
  }
  eddy::UniqueFd out_read(out_fds[0]);
  eddy::UniqueFd out_write(out_fds[1]);
  if (::pipe2(err_fds, O_CLOEXEC) != 0) {
    throw errno_error("pipe2");
  }
  eddy::UniqueFd err_read(err_fds[0]);
  eddy::UniqueFd err_write(err_fds[1]);

  // The child gets stdin, the two pipes, and nothing else: descriptors that
  // the test process inherited without close-on-exec (from ctest, a shell)
  // are closed, so the server's descriptor table is its own.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signo : {SIGINT, SIGTERM, SIGPIPE, SIGHUP}) {
    sigaddset(&defaults, signo);
  }
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argv_strings{path};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = merged_environment(env);
  std::vector<char*> argv = c_strings(argv_strings);
  std::vector<char*> envp = c_strings(env_strings);

  ChildProcess child;
  const int error = ::posix_spawn(&child.pid_, path.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    child.pid_ = -1;
    throw std::system_error(error, std::system_category(), "posix_spawn " + path);
  }
  ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err_read.get(), F_SETFL, O_NONBLOCK);
  child.out_pipe_ = std::move(out_read);
  child.err_pipe_ = std::move(err_read);
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      status_(std::move(other.status_)),
      out_pipe_(std::move(other.out_pipe_)),
      err_pipe_(std::move(other.err_pipe_)),
      out_text_(std::move(other.out_text_)),
      err_text_(std::move(other.err_text_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::move(other.status_);
    out_pipe_ = std::move(other.out_pipe_);
    err_pipe_ = std::move(other.err_pipe_);
    out_text_ = std::move(other.out_text_);
    err_text_ = std::move(other.err_text_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { kill_and_reap(); }

void ChildProcess::collect_output(int timeout_ms) {
  pollfd fds[2] = {{out_pipe_.get(), POLLIN, 0}, {err_pipe_.get(), POLLIN, 0}};
  // poll ignores negative descriptors, so a closed pipe simply drops out.
  if (::poll(fds, 2, timeout_ms) <= 0) {
    return;
  }
  eddy::UniqueFd* pipes[2] = {&out_pipe_, &err_pipe_};
  std::string* texts[2] = {&out_text_, &err_text_};
  for (int i = 0; i < 2; ++i) {
    if (fds[i].revents == 0) {
      continue;
    }
    char chunk[4096];
    const ssize_t n = ::read(pipes[i]->get(), chunk, sizeof chunk);
    if (n > 0) {
      texts[i]->append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      pipes[i]->reset();
    }
  }
}

bool ChildProcess::wait_for_stderr_line(std::string_view text, Deadline deadline) {
  for (;;) {
    const std::size_t found = err_text_.find(text);
    if (found != std::string::npos && err_text_.find('\n', found) != std::string::npos) {
      return true;
    }
    if (!err_pipe_ || Clock::now() >= deadline) {
      return false;
    }
    collect_output(poll_timeout_ms(deadline, std::chrono::milliseconds(50)));
  }
}

bool ChildProcess::wait_for_stderr(const std::function<bool(const std::string&)>& done, Deadline deadline) {
  for (;;) {
    if (done(err_text_)) {
      return true;
    }
    if (!err_pipe_ || Clock::now() >= deadline) {
      return false;
    }
    collect_output(poll_timeout_ms(deadline, std::chrono::milliseconds(50)));
  }
}

bool ChildProcess::has_exited() {
  if (status_) {
    return true;
  }
  int raw = 0;
  if (pid_ > 0 && ::waitpid(pid_, &raw, WNOHANG) == pid_) {
    status_ = ExitStatus{raw};
  }
  return status_.has_value();
}

std::optional<ExitStatus> ChildProcess::wait_exit(Deadline deadline) {
  while (!has_exited()) {
    if (Clock::now() >= deadline) {
      return std::nullopt;
    }
    collect_output(poll_timeout_ms(deadline, std::chrono::milliseconds(10)));
  }
  // The pipes reach EOF once the child is gone; take what is left in them.
  const Deadline drain_deadline = deadline_in(std::chrono::seconds(2));
  while ((out_pipe_ || err_pipe_) && Clock::now() < drain_deadline) {
    collect_output(poll_timeout_ms(drain_deadline, std::chrono::milliseconds(50)));
  }
  return status_;
}

void ChildProcess::send_signal(int signo) {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, signo);
  }
}

void ChildProcess::kill_and_reap() noexcept {
  if (pid_ <= 0 || status_) {
    return;
  }
  ::kill(pid_, SIGKILL);
  int raw = 0;
  while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
  }
  status_ = ExitStatus{raw};
}

bool has_unreaped_children() {
  errno = 0;
  return !(::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD);
}

}  // namespace echo_test
