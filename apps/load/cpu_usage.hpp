#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <system_error>

namespace eddy_load {

using CpuTime = std::chrono::nanoseconds;

// CPU time (user + system) consumed so far by process `pid`, all its
// threads together, from fields 14 and 15 (utime, stime) of /proc/PID/stat.
// The kernel counts them in clock ticks (sysconf(_SC_CLK_TCK), usually
// 100 Hz), so the result moves in 10 ms steps: fine over a run of seconds.
// nullopt with `error` set when the file cannot be read (no such process,
// no permission) or does not parse.
std::optional<CpuTime> process_cpu_time(pid_t pid, std::error_code& error);

// The same for this process, from getrusage(RUSAGE_SELF): microsecond
// resolution, all threads.
CpuTime own_cpu_time() noexcept;

// Parses the contents of a /proc/PID/stat file. The second field, the
// command name, is in parentheses and may itself contain spaces and ')',
// so fields are counted from the last ')'. Exposed for tests.
std::optional<CpuTime> parse_proc_stat(const std::string& text, long ticks_per_second);

}  // namespace eddy_load
