#pragma once

#include <eddy/socket_address.hpp>
#include <eddy/unique_fd.hpp>

#include <system_error>

namespace eddy_echo {

// Opens a TCP socket listening on `address`: non-blocking (the server accepts
// from a loop callback and must never sleep in accept), close-on-exec, with
// SO_REUSEADDR so that a restart does not wait out TIME_WAIT connections of
// the previous run.
//
// On failure returns an empty eddy::UniqueFd and sets `ec` to the errno of the step
// that failed (EADDRINUSE from bind, EACCES for a privileged port, ...).
eddy::UniqueFd listen_on(const eddy::SocketAddress& address, std::error_code& ec);

}  // namespace eddy_echo
