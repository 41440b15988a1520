#include "hostname_lookup.hpp"

#include "bufferevent.hpp"
#include "event_base.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <system_error>
#include <thread>

namespace eddy::compat {
namespace {

struct AddrinfoFree {
  void operator()(addrinfo* list) const noexcept { ::freeaddrinfo(list); }
};
using AddrinfoList = std::unique_ptr<addrinfo, AddrinfoFree>;

// On the loop's thread, once the lookup is over (or could not start).
void finish_lookup(BufferEvent& b, int error, const AddrinfoList& found) {
  const BufferEventHold hold(b);  // alive: the lookup holds it
  event_base* base = b.bev.ev_base;
  if (base->virtual_count > 0) {
    --base->virtual_count;
  }
  b.unsuspend_read(BufferEvent::kSuspendLookup);
  b.unsuspend_write(BufferEvent::kSuspendLookup);
  if (!b.freed) {
    b.dns_error = error;
    if (error != 0) {
      b.run_eventcb(BEV_EVENT_ERROR, 0);
    } else if (bufferevent_socket_connect(&b.bev, found->ai_addr, static_cast<int>(found->ai_addrlen)) != 0) {
      b.run_eventcb(BEV_EVENT_ERROR, 0);
    }
  }
  b.release();  // the lookup's hold
}

}  // namespace

int start_hostname_lookup(BufferEvent& b, int family, const char* hostname, int port) {
  const BufferEventHold hold(b);
  event_base* base = b.bev.ev_base;
  const std::string service = std::to_string(port);
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  // A numeric address needs no name server: connected at once, as
  // libevent does (evutil_getaddrinfo's and evdns's fast path).
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* numeric = nullptr;
  if (hostname != nullptr && ::getaddrinfo(hostname, service.c_str(), &hints, &numeric) == 0) {
    const AddrinfoList found(numeric);
    b.dns_error = 0;
    return bufferevent_socket_connect(&b.bev, found->ai_addr, static_cast<int>(found->ai_addrlen));
  }
  if (hostname == nullptr) {
    return -1;
  }
  b.hold();  // the lookup's, until finish_lookup
  b.dns_error = 0;
  b.suspend_read(BufferEvent::kSuspendLookup);
  b.suspend_write(BufferEvent::kSuspendLookup);
  hints.ai_flags = 0;
  // The base's mailbox and count belong to its loop's thread.
  b.on_loop([&b, base, hints, name = std::string(hostname), service] {
    if (!base->lookup_mailbox) {
      base->lookup_mailbox = std::make_shared<LookupMailbox>(base->io_loop);
    }
    ++base->virtual_count;
    try {
      std::thread([mailbox = base->lookup_mailbox, &b, hints, name, service] {
        addrinfo* list = nullptr;
        const int error = ::getaddrinfo(name.c_str(), service.c_str(), &hints, &list);
        auto found = std::make_shared<AddrinfoList>(list);
        const std::lock_guard lock(mailbox->mutex);
        if (mailbox->loop != nullptr) {
          mailbox->loop->post([&b, error, found] { finish_lookup(b, error, *found); });
        }
      }).detach();
    } catch (const std::system_error&) {
      finish_lookup(b, EAI_SYSTEM, AddrinfoList{});
    }
  });
  return 0;
}

}  // namespace eddy::compat
