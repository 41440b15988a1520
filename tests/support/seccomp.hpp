#pragma once

#include <initializer_list>

namespace eddy::test {

// seccomp filters for tests that need the kernel to refuse something (a
// sandbox without io_uring, a socket that must not be read or written by
// system calls). Filters cannot be removed: install them in a child
// process. Each returns false when the kernel refuses the filter, or on a
// CPU the tests have no audit arch for.

// Every call of one of `calls` fails with `error`.
bool refuse_calls(std::initializer_list<long> calls, int error);

// Every call of one of `calls` whose first argument is `fd` fails with
// `error`; the same calls on other fds run.
bool refuse_calls_on_fd(std::initializer_list<long> calls, int fd, int error);

// Whether this build knows the audit arch the filters need.
bool seccomp_supported() noexcept;

}  // namespace eddy::test
