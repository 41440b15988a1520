#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace eddy::test {

// Runs `body` in a forked child and returns the string it returned, for
// checks that change the process for good (a seccomp filter). A child that
// dies, or does not answer within `limit` (it is then killed), makes the
// answer say so; a body that passes conventionally answers "ok".
std::string answer_from_child(const std::function<std::string()>& body, std::chrono::seconds limit);

}  // namespace eddy::test
