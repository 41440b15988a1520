// evbuffer's chains as programs see them through the public API: bytes
// moved without copying, references and shared chains that point at memory
// they do not own, and file segments with their lifetimes. libevent's own
// regression suite checks the layout; these check eddy's promises about
// when memory is released and what is never copied.
#include <event2/buffer.h>
#include <event2/util.h>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct Cleanups {
  int calls = 0;
  const void* data = nullptr;
  size_t size = 0;
};

void count_cleanup(const void* data, size_t size, void* arg) {
  auto* c = static_cast<Cleanups*>(arg);
  ++c->calls;
  c->data = data;
  c->size = size;
}

// A temporary file holding `text`, open for reading; unlinked at once.
int temp_file(const std::string& text) {
  char name[] = "/tmp/evbuffer_chain_test.XXXXXX";
  const int fd = ::mkstemp(name);
  if (fd < 0) {
    return -1;
  }
  ::unlink(name);
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string contents(evbuffer* buf) {
  const size_t n = evbuffer_get_length(buf);
  std::string out(n, '\0');
  evbuffer_copyout(buf, out.data(), n);
  return out;
}

TEST(EvbufferChains, AddBufferMovesBytesWithoutCopying) {
  evbuffer* src = evbuffer_new();
  evbuffer* dst = evbuffer_new();
  evbuffer_add(src, "moved, not copied", 17);
  iovec before{};
  ASSERT_EQ(evbuffer_peek(src, -1, nullptr, &before, 1), 1);
  ASSERT_EQ(evbuffer_add_buffer(dst, src), 0);
  iovec after{};
  ASSERT_EQ(evbuffer_peek(dst, -1, nullptr, &after, 1), 1);
  EXPECT_EQ(after.iov_base, before.iov_base);
  EXPECT_EQ(evbuffer_get_length(src), 0u);
  EXPECT_EQ(contents(dst), "moved, not copied");
  evbuffer_free(src);
  evbuffer_free(dst);
}

TEST(EvbufferChains, ReferenceIsShownInPlaceAndCleanedUpWhenDrained) {
  static const char kText[] = "the caller's memory";
  Cleanups cleanups;
  evbuffer* buf = evbuffer_new();
  ASSERT_EQ(evbuffer_add_reference(buf, kText, sizeof kText - 1, count_cleanup, &cleanups), 0);
  iovec v{};
  ASSERT_EQ(evbuffer_peek(buf, -1, nullptr, &v, 1), 1);
  EXPECT_EQ(v.iov_base, kText);
  evbuffer_drain(buf, 4);
  EXPECT_EQ(cleanups.calls, 0);
  evbuffer_drain(buf, sizeof kText);
  EXPECT_EQ(cleanups.calls, 1);
  EXPECT_EQ(cleanups.data, kText);
  EXPECT_EQ(cleanups.size, sizeof kText - 1);
  evbuffer_free(buf);
  EXPECT_EQ(cleanups.calls, 1);
}

TEST(EvbufferChains, BufferReferenceKeepsTheBytesAfterItsSourceIsFreed) {
  Cleanups cleanups;
  static const char kText[] = "shared";
  evbuffer* src = evbuffer_new();
  evbuffer* view = evbuffer_new();
  evbuffer_add_reference(src, kText, 6, count_cleanup, &cleanups);
  ASSERT_EQ(evbuffer_add_buffer_reference(view, src), 0);
  EXPECT_EQ(evbuffer_add_buffer_reference(src, view), -1);  // no references to references
  evbuffer_free(src);
  EXPECT_EQ(cleanups.calls, 0);  // the view still shows the bytes
  EXPECT_EQ(contents(view), "shared");
  evbuffer_free(view);
  EXPECT_EQ(cleanups.calls, 1);
}

TEST(EvbufferChains, FileSegmentGoesOutWithSendfileFromADrainingBuffer) {
  const std::string text(100000, 'f');
  const int fd = temp_file(text);
  ASSERT_GE(fd, 0);
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  evbuffer* out = evbuffer_new();
  evbuffer_set_flags(out, EVBUFFER_FLAG_DRAINS_TO_FD);
  ASSERT_EQ(evbuffer_add_file(out, fd, 10, 5000), 0);  // closes fd when done
  EXPECT_EQ(evbuffer_get_length(out), 5000u);
  EXPECT_EQ(evbuffer_write(out, pair[0]), 5000);
  EXPECT_EQ(evbuffer_get_length(out), 0u);
  std::string got(5000, '\0');
  EXPECT_EQ(::recv(pair[1], got.data(), got.size(), MSG_WAITALL), 5000);
  EXPECT_EQ(got, text.substr(10, 5000));
  evbuffer_free(out);
  ::close(pair[0]);
  ::close(pair[1]);
}

void count_segment_cleanup(const evbuffer_file_segment*, int, void* arg) { ++*static_cast<int*>(arg); }

TEST(EvbufferChains, FileSegmentLivesUntilTheLastBufferShowingItIsFreed) {
  const int fd = temp_file("segment bytes");
  ASSERT_GE(fd, 0);
  int cleanups = 0;
  evbuffer_file_segment* seg = evbuffer_file_segment_new(fd, 0, -1, EVBUF_FS_CLOSE_ON_FREE);
  ASSERT_NE(seg, nullptr);
  evbuffer_file_segment_add_cleanup_cb(seg, count_segment_cleanup, &cleanups);
  evbuffer* a = evbuffer_new();
  evbuffer* b = evbuffer_new();
  ASSERT_EQ(evbuffer_add_file_segment(a, seg, 8, -1), 0);
  ASSERT_EQ(evbuffer_add_file_segment(b, seg, 0, 7), 0);
  evbuffer_file_segment_free(seg);
  EXPECT_EQ(contents(a), "bytes");  // mapped: a does not drain to an fd
  EXPECT_EQ(contents(b), "segment");
  evbuffer_free(a);
  EXPECT_EQ(cleanups, 0);
  evbuffer_free(b);
  EXPECT_EQ(cleanups, 1);
}

TEST(EvbufferChains, ReservedRoomSurvivesUntilCommitted) {
  evbuffer* buf = evbuffer_new();
  evbuffer_add(buf, "a", 1);
  iovec v[2];
  const int n = evbuffer_reserve_space(buf, 8192, v, 2);
  ASSERT_GE(n, 1);
  std::memcpy(v[0].iov_base, "bc", 2);
  v[0].iov_len = 2;
  ASSERT_EQ(evbuffer_commit_space(buf, v, 1), 0);
  EXPECT_EQ(contents(buf), "abc");
  EXPECT_EQ(evbuffer_commit_space(buf, v, 1), -1);  // that room is used now
  evbuffer_free(buf);
}

}  // namespace
