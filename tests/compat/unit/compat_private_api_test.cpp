// libevent's internal entry points that eddy exports because code built
// with libevent's private headers calls them (its regression suite): no
// public header declares them and Debian's libevent-dev cannot be compiled
// against for them, so they are tested here rather than differentially.
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/event_struct.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>

extern "C" {
extern struct event_base* event_global_current_base_;
void event_base_add_virtual_(struct event_base*);
void event_base_del_virtual_(struct event_base*);
void event_active_later_(struct event*, int);
void event_deferred_cb_init_(struct event_callback*, ev_uint8_t, void (*)(struct event_callback*, void*), void*);
int event_deferred_cb_schedule_(struct event_base*, struct event_callback*);
int event_callback_activate_(struct event_base*, struct event_callback*);
int event_callback_cancel_(struct event_base*, struct event_callback*);
int event_callback_finalize_(struct event_base*, unsigned, struct event_callback*,
                             void (*)(struct event_callback*, void*));
}

namespace {

struct BaseDeleter {
  void operator()(event_base* b) const { event_base_free(b); }
};
using BasePtr = std::unique_ptr<event_base, BaseDeleter>;

void append(struct event_callback*, void* arg) { *static_cast<std::string*>(arg) += "cb "; }
void append_finalized(struct event_callback*, void* arg) { *static_cast<std::string*>(arg) += "fin "; }
void append_event(evutil_socket_t, short, void* arg) { *static_cast<std::string*>(arg) += "ev "; }

TEST(CompatPrivateApi, EventInitSetsTheCurrentBaseByLibeventsName) {
  event_base* base = event_init();
  EXPECT_EQ(event_global_current_base_, base);
  event_base_free(nullptr);  // the current base
  EXPECT_EQ(event_global_current_base_, nullptr);
}

TEST(CompatPrivateApi, VirtualEventsCountAndKeepTheLoopFromExiting) {
  BasePtr base(event_base_new());
  event_base_add_virtual_(base.get());
  EXPECT_EQ(event_base_get_num_events(base.get(), EVENT_BASE_COUNT_VIRTUAL), 1);
  EXPECT_EQ(event_base_get_num_events(base.get(), EVENT_BASE_COUNT_ADDED), 0);
  EXPECT_EQ(event_base_loop(base.get(), EVLOOP_NONBLOCK), 0) << "not empty while a virtual event is there";
  event_base_del_virtual_(base.get());
  EXPECT_EQ(event_base_get_max_events(base.get(), EVENT_BASE_COUNT_VIRTUAL, 0), 1);
  EXPECT_EQ(event_base_loop(base.get(), EVLOOP_NONBLOCK), 1);
}

TEST(CompatPrivateApi, ActiveLaterRunsInTheNextIterationAndEventActiveMakesItDueNow) {
  BasePtr base(event_base_new());
  std::string log;
  event* ev = event_new(base.get(), -1, 0, append_event, &log);
  event_active_later_(ev, EV_READ);
  EXPECT_TRUE((ev->ev_evcallback.evcb_flags & EVLIST_ACTIVE_LATER) != 0);
  event_active(ev, EV_READ, 1);
  EXPECT_TRUE((ev->ev_evcallback.evcb_flags & EVLIST_ACTIVE) != 0);
  EXPECT_TRUE((ev->ev_evcallback.evcb_flags & EVLIST_ACTIVE_LATER) == 0);
  event_base_loop(base.get(), EVLOOP_ONCE);
  EXPECT_EQ(log, "ev ");
  event_active_later_(ev, EV_READ);
  event_free(ev);  // deletes it from the later queue
  EXPECT_EQ(event_base_get_num_events(base.get(), EVENT_BASE_COUNT_ACTIVE), 0);
}

TEST(CompatPrivateApi, DeferredCallbacksRunFromTheLoopOnceEach) {
  BasePtr base(event_base_new());
  std::string log;
  event_callback cb{};
  event_deferred_cb_init_(&cb, 0, append, &log);
  EXPECT_EQ(event_callback_activate_(base.get(), &cb), 1);
  EXPECT_EQ(event_callback_activate_(base.get(), &cb), 0) << "already queued";
  EXPECT_EQ(log, "");
  EXPECT_EQ(event_base_loop(base.get(), EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(log, "cb ");
  EXPECT_EQ(event_deferred_cb_schedule_(base.get(), &cb), 1);
  EXPECT_EQ(event_callback_cancel_(base.get(), &cb), 1);
  EXPECT_EQ(event_base_loop(base.get(), EVLOOP_NONBLOCK), 1);
  EXPECT_EQ(log, "cb ") << "cancelled";
}

TEST(CompatPrivateApi, FinalizingAnActiveCallbackRunsOnlyTheFinalizer) {
  BasePtr base(event_base_new());
  std::string log;
  event_callback cb{};
  event_deferred_cb_init_(&cb, 0, append, &log);
  event_callback_activate_(base.get(), &cb);
  event_callback_finalize_(base.get(), 0, &cb, append_finalized);
  EXPECT_EQ(log, "") << "finalizers run from the loop";
  event_base_dispatch(base.get());
  EXPECT_EQ(log, "fin ");
  EXPECT_EQ(event_callback_activate_(base.get(), &cb), 0) << "finalized";
}

TEST(CompatPrivateApi, FreeingTheBaseRunsQueuedFinalizers) {
  std::string log;
  event_callback cb{};
  {
    BasePtr base(event_base_new());
    event_deferred_cb_init_(&cb, 0, append, &log);
    event_callback_finalize_(base.get(), 0, &cb, append_finalized);
  }
  EXPECT_EQ(log, "fin ");
}

}  // namespace
