#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace eddy {

// Why a connection closed.
enum class CloseReason : std::uint8_t {
  kEof,      // the peer closed its side, and everything queued was flushed
  kReset,    // the peer reset the connection (ECONNRESET, EPIPE)
  kTimeout,  // a read, write or idle timeout expired
  kError,    // any other socket error; CloseInfo::error says which
  kLocal,    // close() or abort() was called on this side
};

struct CloseInfo {
  CloseReason reason;
  std::error_code error;  // the socket error for kReset and kError, else empty
};

// "eof", "reset", "timeout", "error", "local".
std::string_view to_string(CloseReason reason) noexcept;

}  // namespace eddy
