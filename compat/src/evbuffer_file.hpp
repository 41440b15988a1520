#pragma once

#include <event2/buffer.h>
#include <event2/util.h>

// A piece of a file to add to evbuffers (evbuffer_file_segment_new):
// libevent 2.1's struct evbuffer_file_segment, field for field, since
// programs and libevent's tests read can_sendfile and is_mapping.
//
// A count: one for the program (until evbuffer_file_segment_free), one per
// chain that shows it. The contents are read lazily: a segment that can go
// out with sendfile(2) is only mapped (or read) when a buffer that does not
// drain to an fd, or a look at its bytes, needs them.
struct evbuffer_file_segment {
  void* lock;  // unused: eddy's evbuffers are not locked
  int refcnt;
  unsigned flags;  // EVBUF_FS_*
  unsigned can_sendfile : 1;
  unsigned is_mapping : 1;
  int fd;
  void* mapping;   // what mmap(2) returned, when is_mapping
  char* contents;  // the segment's first byte, once mapped or read
  ev_off_t file_offset;
  ev_off_t mmap_offset;  // of file_offset within mapping
  ev_off_t length;
  evbuffer_file_segment_cleanup_cb cleanup_cb;
  void* cleanup_cb_arg;
};

namespace eddy::compat {

// Maps or reads the contents if not yet done; 0, or -1 on failure.
int segment_materialize(evbuffer_file_segment* seg) noexcept;

}  // namespace eddy::compat
