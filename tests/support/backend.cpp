#include "support/backend.hpp"

#include <cstdlib>

namespace eddy::test {

std::string expected_backend_name() {
  const char* env = std::getenv("EDDY_BACKEND");
  if (env == nullptr || *env == '\0') {
    return "epoll";
  }
  return env;
}

ScopedEnv::ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
  if (const char* old = std::getenv(name_.c_str()); old != nullptr) {
    previous_ = old;
  }
  if (value) {
    ::setenv(name_.c_str(), value->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

ScopedEnv::~ScopedEnv() {
  if (previous_) {
    ::setenv(name_.c_str(), previous_->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

}  // namespace eddy::test
