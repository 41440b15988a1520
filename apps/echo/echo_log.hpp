#pragma once

#include <string>
#include <string_view>

namespace eddy_echo {

// Everything eddy-echo says goes to stderr as single lines that start with
// "eddy-echo: ", so that scripts and tests can read one line per event.

// Prints "eddy-echo: <message>", whatever the log level: start-up, shutdown,
// stats lines and errors. Newlines inside `message` become spaces.
void report(std::string message);

// Routes eddy's log (the library's own messages and the program's
// eddy::log calls) to stderr as "eddy-echo: <level>: <message>". Call
// before starting threads.
void install_log_sink();

}  // namespace eddy_echo
