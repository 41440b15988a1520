// Loop::reinit_after_fork(): a loop carried into a forked child works there,
// and the child's use of it leaves the parent's loop registered (the epoll
// instance and the wakeup eventfd are shared until the child replaces them).
#include "support/pipe.hpp"
#include "support/run_until.hpp"

#include <eddy/io_events.hpp>
#include <eddy/io_watcher.hpp>
#include <eddy/loop.hpp>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

namespace {

using namespace std::chrono_literals;
using eddy::kReadable;
using eddy::test::Pipe;
using eddy::test::run_until;

// Runs in the child; returns its exit status (0: all good).
int child_main(eddy::Loop& loop, eddy::IoWatcher& watcher, int& reads, Pipe& pipe) {
  loop.reinit_after_fork();
  // The child stops the watcher (an EPOLL_CTL_DEL) and starts it again:
  // on the shared epoll instance this would unregister the parent's fd.
  watcher.stop();
  watcher.start(kReadable);
  bool posted = false;
  loop.post([&] { posted = true; });
  pipe.write_byte();
  if (!run_until(loop, [&] { return reads == 1 && posted; })) {
    return 1;
  }
  watcher.stop();
  return 0;
}

TEST(LoopFork, ChildKeepsWatchersAndParentKeepsItsRegistration) {
  eddy::Loop loop;
  Pipe pipe;
  int reads = 0;
  eddy::IoWatcher watcher(loop, pipe.read_fd(), [&](unsigned) {
    ++reads;
    pipe.drain();
  });
  watcher.start(kReadable);

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::_exit(child_main(loop, watcher, reads, pipe));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the loop did not work in the child";

  // The child consumed its byte; a new one must still wake the parent.
  pipe.write_byte();
  ASSERT_TRUE(run_until(loop, [&] { return reads == 1; })) << "the child's changes unregistered the parent's fd";
  bool posted = false;
  loop.post([&] { posted = true; });
  ASSERT_TRUE(run_until(loop, [&] { return posted; }));
  watcher.stop();
}

}  // namespace
