#pragma once

#include <optional>
#include <string>

namespace eddy::test {

// The backend a default-constructed Loop must pick in this process: the one
// named by EDDY_BACKEND (set by ctest for the .epoll and .poll variants of
// every test), else "epoll".
std::string expected_backend_name();

// Sets (or, with std::nullopt, unsets) an environment variable for the
// lifetime of the object and restores its previous state afterwards.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value);
  ~ScopedEnv();

  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> previous_;
};

}  // namespace eddy::test
