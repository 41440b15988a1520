#pragma once

#include <eddy/loop.hpp>

#include <mutex>

struct BufferEvent;

namespace eddy::compat {

// The one part of a base that a resolver thread may still reach after the
// base is freed: its loop, to post a result to, or nullptr once the base
// is gone (the result is then dropped).
struct LookupMailbox {
  explicit LookupMailbox(eddy::Loop& base_loop) : loop(&base_loop) {}

  std::mutex mutex;
  eddy::Loop* loop;
};

// bufferevent_socket_connect_hostname() without evdns. A numeric address
// is connected to at once. For a name, getaddrinfo(3) runs on a thread of
// its own, so the loop never waits for a name server; the
// result comes back through the base's loop, which then connects to the
// first address (or reports BEV_EVENT_ERROR with the error in
// bufferevent_socket_get_dns_error()). Meanwhile the bufferevent neither
// reads nor writes, and the lookup counts as a virtual event, so the loop
// does not exit for want of events. A bufferevent freed meanwhile is
// released when the result arrives, without connecting.
// Returns 0, or -1 when no thread could be started.
int start_hostname_lookup(BufferEvent& b, int family, const char* hostname, int port);

}  // namespace eddy::compat
