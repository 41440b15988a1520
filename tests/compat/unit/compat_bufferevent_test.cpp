// Bufferevent lifetimes the differential suite cannot compare with
// libevent: libevent frees a bufferevent from the loop, so one freed with
// deferred callbacks queued stays allocated if the base goes first; eddy
// frees it when bufferevent_free drops the last reference. A filter's
// free_context shows when that happens.
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <gtest/gtest.h>

namespace {

void ignore_read(bufferevent*, void*) {}

void count_free(void* ctx) { ++*static_cast<int*>(ctx); }

TEST(CompatBufferevent, FreedWithDeferredCallbacksQueuedGoesAtOnce) {
  event_base* base = event_base_new();
  ASSERT_NE(base, nullptr);
  bufferevent* pair[2];
  ASSERT_EQ(bufferevent_pair_new(base, 0, pair), 0);
  int freed = 0;
  bufferevent* filter = bufferevent_filter_new(pair[0], nullptr, nullptr, BEV_OPT_CLOSE_ON_FREE, count_free, &freed);
  ASSERT_NE(filter, nullptr);
  bufferevent_setcb(filter, ignore_read, nullptr, nullptr, nullptr);
  bufferevent_trigger(filter, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
  bufferevent_free(filter);
  EXPECT_EQ(freed, 1);
  bufferevent_free(pair[1]);
  event_base_free(base);
  EXPECT_EQ(freed, 1);
}

TEST(CompatBufferevent, FreeingTheUnderlyingFirstKeepsItForTheFilter) {
  event_base* base = event_base_new();
  ASSERT_NE(base, nullptr);
  bufferevent* pair[2];
  ASSERT_EQ(bufferevent_pair_new(base, 0, pair), 0);
  int freed = 0;
  bufferevent* filter = bufferevent_filter_new(pair[0], nullptr, nullptr, 0, count_free, &freed);
  ASSERT_NE(filter, nullptr);
  bufferevent_free(pair[0]);
  EXPECT_EQ(bufferevent_get_underlying(filter), pair[0]);
  EXPECT_EQ(bufferevent_pair_get_partner(pair[1]), pair[0]);
  bufferevent_free(filter);
  EXPECT_EQ(freed, 1);
  EXPECT_EQ(bufferevent_pair_get_partner(pair[1]), nullptr);
  bufferevent_free(pair[1]);
  event_base_free(base);
}

}  // namespace
