#include <eddy/close_reason.hpp>

namespace eddy {

std::string_view to_string(CloseReason reason) noexcept {
  switch (reason) {
    case CloseReason::kEof:
      return "eof";
    case CloseReason::kReset:
      return "reset";
    case CloseReason::kTimeout:
      return "timeout";
    case CloseReason::kError:
      return "error";
    case CloseReason::kLocal:
      return "local";
  }
  return "unknown";
}

}  // namespace eddy
