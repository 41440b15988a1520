// The parts of the compat API that the differential suite cannot compare
// with libevent line by line: backend choice (eddy has no select),
// event_base_dump_events() lines with their addresses (the differential
// case dump_events compares them with the addresses masked), calls from
// other threads, and the struct layout binaries depend on.
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/thread.h>

#include <eddy/loop.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

// Sets an environment variable for one test and restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      old_ = old;
      had_ = true;
    }
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

struct BaseDeleter {
  void operator()(event_base* base) const { event_base_free(base); }
};
using BasePtr = std::unique_ptr<event_base, BaseDeleter>;
struct ConfigDeleter {
  void operator()(event_config* cfg) const { event_config_free(cfg); }
};
using ConfigPtr = std::unique_ptr<event_config, ConfigDeleter>;

TEST(CompatBase, SupportedMethodsAreEpollPollAndIoUring) {
  const char** methods = event_get_supported_methods();
  ASSERT_NE(methods, nullptr);
  EXPECT_STREQ(methods[0], "epoll");
  EXPECT_STREQ(methods[1], "poll");
  EXPECT_STREQ(methods[2], "io_uring");
  EXPECT_EQ(methods[3], nullptr);
}

// What a base asked for io_uring runs on: "io_uring", or "epoll" where the
// kernel refuses rings (the loop says why on stderr).
std::string uring_method() {
  eddy::Loop probe(eddy::LoopOptions{"uring"});
  return probe.backend_name() == "uring" ? "io_uring" : "epoll";
}

TEST(CompatBase, EddyBackendUringIsTheIoUringMethod) {
  for (const char* name : {"uring", "io_uring"}) {
    ScopedEnv env("EDDY_BACKEND", name);
    BasePtr base(event_base_new());
    ASSERT_TRUE(base) << name;
    EXPECT_EQ(event_base_get_method(base.get()), uring_method()) << name;
    EXPECT_NE(event_base_get_features(base.get()) & EV_FEATURE_ET, 0) << "multishot polls are edge-triggered";
  }
}

TEST(CompatBase, IoUringCanBeRuledOutAsLibeventMethodsAre) {
  ScopedEnv env("EDDY_BACKEND", "uring");
  {
    ConfigPtr cfg(event_config_new());
    event_config_avoid_method(cfg.get(), "io_uring");
    BasePtr base(event_base_new_with_config(cfg.get()));
    ASSERT_TRUE(base);
    EXPECT_STREQ(event_base_get_method(base.get()), "epoll");
  }
  ScopedEnv disabled("EVENT_NOIO_URING", "1");
  BasePtr base(event_base_new());
  ASSERT_TRUE(base);
  EXPECT_STREQ(event_base_get_method(base.get()), "epoll");
  ConfigPtr cfg(event_config_new());
  event_config_set_flag(cfg.get(), EVENT_BASE_FLAG_IGNORE_ENV);
  BasePtr ignoring(event_base_new_with_config(cfg.get()));
  ASSERT_TRUE(ignoring);
  EXPECT_EQ(event_base_get_method(ignoring.get()), uring_method()) << "EDDY_BACKEND still counts; EVENT_NO* does not";
}

TEST(CompatBase, EddyBackendPicksTheMethod) {
  for (const char* method : {"epoll", "poll"}) {
    ScopedEnv env("EDDY_BACKEND", method);
    BasePtr base(event_base_new());
    ASSERT_TRUE(base);
    EXPECT_STREQ(event_base_get_method(base.get()), method);
  }
}

TEST(CompatBase, UnknownEddyBackendFailsWithAMessage) {
  ScopedEnv env("EDDY_BACKEND", "select");
  testing::internal::CaptureStderr();
  BasePtr base(event_base_new());
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_FALSE(base);
  EXPECT_NE(err.find("EDDY_BACKEND=select"), std::string::npos) << err;
}

TEST(CompatBase, ConfigAvoidsAndRequires) {
  ScopedEnv env("EDDY_BACKEND", nullptr);
  {
    ConfigPtr cfg(event_config_new());
    event_config_avoid_method(cfg.get(), "epoll");
    BasePtr base(event_base_new_with_config(cfg.get()));
    ASSERT_TRUE(base);
    EXPECT_STREQ(event_base_get_method(base.get()), "poll");
    EXPECT_EQ(event_base_get_features(base.get()) & EV_FEATURE_ET, 0);
  }
  {
    ConfigPtr cfg(event_config_new());
    event_config_require_features(cfg.get(), EV_FEATURE_ET);
    BasePtr base(event_base_new_with_config(cfg.get()));
    ASSERT_TRUE(base);
    EXPECT_STREQ(event_base_get_method(base.get()), "epoll");
  }
  {
    ConfigPtr cfg(event_config_new());
    event_config_avoid_method(cfg.get(), "epoll");
    event_config_avoid_method(cfg.get(), "poll");
    testing::internal::CaptureStderr();
    BasePtr base(event_base_new_with_config(cfg.get()));
    testing::internal::GetCapturedStderr();
    EXPECT_FALSE(base) << "no method left: no base, as libevent";
  }
}

TEST(CompatBase, EventNoEpollIsHonouredUnlessIgnored) {
  ScopedEnv backend("EDDY_BACKEND", nullptr);
  ScopedEnv noepoll("EVENT_NOEPOLL", "1");
  BasePtr base(event_base_new());
  ASSERT_TRUE(base);
  EXPECT_STREQ(event_base_get_method(base.get()), "poll");
  ConfigPtr cfg(event_config_new());
  event_config_set_flag(cfg.get(), EVENT_BASE_FLAG_IGNORE_ENV);
  BasePtr ignoring(event_base_new_with_config(cfg.get()));
  ASSERT_TRUE(ignoring);
  EXPECT_STREQ(event_base_get_method(ignoring.get()), "epoll");
}

TEST(CompatBase, StructEventHasLibeventsSize) {
  EXPECT_EQ(event_get_struct_event_size(), sizeof(struct event));
#if defined(__x86_64__)
  EXPECT_EQ(sizeof(struct event), 128U);
#endif
}

void ignore(evutil_socket_t, short, void*) {}

TEST(CompatBase, DumpEventsListsInsertedAndActiveEvents) {
  BasePtr base(event_base_new());
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  event* reader = event_new(base.get(), fds[0], EV_READ | EV_PERSIST, ignore, nullptr);
  event* timer = evtimer_new(base.get(), ignore, nullptr);
  event* user = event_new(base.get(), -1, 0, ignore, nullptr);
  const timeval later{60, 0};
  event_add(reader, nullptr);
  event_add(timer, &later);
  event_active(user, EV_WRITE, 0);

  char* text = nullptr;
  std::size_t size = 0;
  FILE* out = ::open_memstream(&text, &size);
  event_base_dump_events(base.get(), out);
  std::fclose(out);
  const std::string dump(text, size);
  std::free(text);

  EXPECT_NE(dump.find("Inserted events:"), std::string::npos) << dump;
  // libevent's format, "fd " and its trailing space included.
  EXPECT_NE(dump.find(" [fd  " + std::to_string(fds[0]) + "] Read Persist\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("Timeout="), std::string::npos) << dump;
  EXPECT_NE(dump.find("Active events:"), std::string::npos) << dump;
  EXPECT_NE(dump.find(" [fd  -1, priority=0] Write active\n"), std::string::npos) << dump;

  event_free(reader);
  event_free(timer);
  event_free(user);
  ::close(fds[0]);
  ::close(fds[1]);
}

std::atomic<int> activations{0};
void count_activation(evutil_socket_t, short, void*) { ++activations; }
void mark_running(evutil_socket_t, short, void* arg) { static_cast<std::atomic<bool>*>(arg)->store(true); }

// Waits up to 5 s for done().
template <typename Done>
bool wait_for(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TEST(CompatBase, OtherThreadsCanActivateAndBreak) {
  evthread_use_pthreads();
  BasePtr base(event_base_new());
  event* user = event_new(base.get(), -1, EV_PERSIST, count_activation, nullptr);
  // Something to wait on, so that the loop blocks until woken.
  event* keepalive = evtimer_new(base.get(), ignore, nullptr);
  const timeval far{3600, 0};
  event_add(keepalive, &far);
  std::atomic<bool> running{false};
  event_base_once(base.get(), -1, EV_TIMEOUT, mark_running, &running, nullptr);
  activations = 0;
  std::thread other([&] {
    if (wait_for([&] { return running.load(); })) {
      event_active(user, EV_READ, 0);
      wait_for([] { return activations.load() > 0; });
    }
    event_base_loopbreak(base.get());
  });
  EXPECT_EQ(event_base_dispatch(base.get()), 0);
  other.join();
  EXPECT_TRUE(running.load());
  EXPECT_EQ(activations.load(), 1) << "the loop was woken to run the activation";
  EXPECT_EQ(event_base_got_break(base.get()), 1);
  event_free(user);
  event_free(keepalive);
}

TEST(CompatBase, FreeingTheBaseFirstLeavesEventsSafeToFree) {
  event_base* base = event_base_new();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  event* reader = event_new(base, fds[0], EV_READ, ignore, nullptr);
  event* timer = evtimer_new(base, ignore, nullptr);
  const timeval later{60, 0};
  event_add(reader, nullptr);
  event_add(timer, &later);
  event_base_free(base);
  // libevent leaves these dangling; eddy removed them from the base.
  EXPECT_EQ(event_pending(reader, EV_READ, nullptr), 0);
  EXPECT_EQ(event_pending(timer, EV_TIMEOUT, nullptr), 0);
  event_free(reader);
  event_free(timer);
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
