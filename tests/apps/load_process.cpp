#include "load_process.hpp"

#include "echo_process.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace echo_test {

LoadRun run_load(std::vector<std::string> args, std::chrono::seconds timeout) {
  ChildProcess process = start_load(std::move(args));
  return wait_load(process, deadline_in(timeout));
}

ChildProcess start_load(std::vector<std::string> args) {
  if (std::find(args.begin(), args.end(), "--backend") == args.end()) {
    args.push_back("--backend");
    args.push_back(backend_under_test());
  }
  return ChildProcess::spawn(EDDY_LOAD_PATH, args);
}

LoadRun wait_load(ChildProcess& process, Deadline deadline) {
  LoadRun run;
  run.status = process.wait_exit(deadline);
  run.out = process.out();
  run.err = process.err();
  return run;
}

std::optional<double> json_number(const std::string& json, std::string_view key, std::string_view outer) {
  std::size_t from = 0;
  std::size_t to = json.size();
  if (!outer.empty()) {
    const std::string opening = "\"" + std::string(outer) + "\":{";
    from = json.find(opening);
    if (from == std::string::npos) {
      return std::nullopt;
    }
    to = json.find('}', from);
  }
  const std::string name = "\"" + std::string(key) + "\":";
  const std::size_t at = json.find(name, from);
  if (at == std::string::npos || at > to) {
    return std::nullopt;
  }
  const char* begin = json.c_str() + at + name.size();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  if (end == begin) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) {
      end = text.size();
    }
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

}  // namespace echo_test
