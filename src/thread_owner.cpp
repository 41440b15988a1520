#include "thread_owner.hpp"

#include <eddy/loop.hpp>

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace eddy {

bool thread_checks_enabled() noexcept { return EDDY_THREAD_CHECKS != 0; }

namespace detail {

void ThreadOwner::fail(const char* operation) const noexcept {
  std::ostringstream message;
  message << "eddy: " << operation << " called on thread " << std::this_thread::get_id()
          << ", but the loop belongs to thread " << owner_.load(std::memory_order_relaxed)
          << "; a loop and its watchers may only be used from the loop's thread (use Loop::post to "
             "reach it from another thread)\n";
  std::fputs(message.str().c_str(), stderr);
  std::abort();
}

}  // namespace detail
}  // namespace eddy
