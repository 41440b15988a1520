#pragma once

#include "echo_options.hpp"

#include <optional>

namespace eddy_echo {

// Exit codes of eddy-echo.
inline constexpr int kExitOk = 0;            // stopped by SIGINT/SIGTERM; --help, --version
inline constexpr int kExitRuntimeError = 1;  // could not run: address in use, no descriptors, ...
inline constexpr int kExitUsage = 2;         // bad command line or EDDY_BACKEND
// A second SIGINT/SIGTERM during a graceful stop exits with 128 + signo
// (130 for SIGINT, 143 for SIGTERM), as a shell reports a process that a
// signal ended.
inline constexpr int kExitSignalBase = 128;

// Fills `options` from the command line. Returns the exit code when the
// program must stop here: 0 after --help or --version (printed on stdout),
// kExitUsage after printing one "eddy-echo: ..." line on stderr for a flag
// that is unknown, malformed or out of range.
std::optional<int> parse_command_line(int argc, char** argv, EchoOptions& options);

}  // namespace eddy_echo
