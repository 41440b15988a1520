#pragma once

#include "child_process.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace echo_test {

// One run of eddy-load to completion.
struct LoadRun {
  std::optional<ExitStatus> status;  // nullopt: it did not exit in time (it was killed)
  std::string out;
  std::string err;
};

// Runs eddy-load with `args` plus --backend backend_under_test() (unless
// `args` names a backend). It is
// killed if it outlives `timeout`: eddy-load promises to end within its
// duration plus a few seconds, so a test gives it that and a margin.
LoadRun run_load(std::vector<std::string> args, std::chrono::seconds timeout = std::chrono::seconds(60));

// Starts eddy-load as run_load() does, without waiting for it: for tests
// that signal it mid-run. The ChildProcess kills it when destroyed.
ChildProcess start_load(std::vector<std::string> args);

// Waits for `process` to exit until `deadline` and takes its output; status
// is nullopt when it is still running then.
LoadRun wait_load(ChildProcess& process, Deadline deadline);

// A number in eddy-load's one-line JSON: the value of "key", or of "key"
// inside the object "outer" when given. nullopt when absent or not a number.
std::optional<double> json_number(const std::string& json, std::string_view key, std::string_view outer = {});

// The lines of `text`, without their newlines.
std::vector<std::string> lines_of(const std::string& text);

}  // namespace echo_test
