// Uses an installed eddy: a timer that fires once after 1 ms and a posted
// task. Prints one line naming the backend and the version, and exits 0 only
// when both callbacks ran.
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>
#include <string>

int main() {
  eddy::Loop loop;
  bool timer_ran = false;
  bool task_ran = false;
  eddy::Timer timer(loop, [&timer_ran] { timer_ran = true; });
  timer.start(std::chrono::milliseconds(1));
  loop.post([&task_ran] { task_ran = true; });
  loop.run();
  if (!timer_ran || !task_ran) {
    std::fprintf(stderr, "eddy consumer: timer ran: %d, posted task ran: %d\n", timer_ran, task_ran);
    return 1;
  }
  std::printf("eddy consumer OK: backend=%s version=%s\n", std::string(loop.backend_name()).c_str(),
              EDDY_VERSION_STRING);
  return 0;
}
