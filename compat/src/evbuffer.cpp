#include "evbuffer.hpp"

#include "event_base.hpp"

#include <algorithm>
#include <cstring>

evbuffer::~evbuffer() {
  if (deferred) {
    event_del(&deferred_event);
  }
  release_references(true);
  while (evbuffer_cb_entry* entry = callbacks) {
    callbacks = entry->next;
    delete entry;
  }
}

void evbuffer::append(const void* data, std::size_t n) {
  bytes.append(data, n);
  n_added += n;
}

void evbuffer::append_reference(const void* data, std::size_t n, evbuffer_ref_cleanup_cb cleanup, void* extra) {
  if (cleanup != nullptr) {
    references.reserve(references.size() + 1);
  }
  append(data, n);
  if (cleanup != nullptr) {
    const auto end = removed + static_cast<std::int64_t>(bytes.size());
    references.push_back({end, cleanup, data, n, extra});
  }
}

void evbuffer::prepend(const void* data, std::size_t n) {
  bytes.prepend(data, n);
  removed -= static_cast<std::int64_t>(n);
  n_added += n;
}

void evbuffer::drain(std::size_t n) noexcept {
  n = std::min(n, bytes.size());
  bytes.drain(n);
  removed += static_cast<std::int64_t>(n);
  n_deleted += n;
  release_references(false);
}

void evbuffer::take_all(evbuffer& from) noexcept {
  const std::size_t n = from.bytes.size();
  // `from`'s references move with their bytes, renumbered into this
  // buffer's stream offsets.
  const std::int64_t shift = removed + static_cast<std::int64_t>(bytes.size()) - from.removed;
  bytes.append(std::move(from.bytes));
  n_added += n;
  from.n_deleted += n;
  from.removed += static_cast<std::int64_t>(n);
  for (const Reference& ref : from.references) {
    try {
      references.push_back({ref.end + shift, ref.cleanup, ref.data, ref.size, ref.extra});
    } catch (...) {
      ref.cleanup(ref.data, ref.size, ref.extra);  // its bytes are copies already
    }
  }
  from.references.clear();
}

eddy::IoResult evbuffer::read_in(int fd, std::size_t max_bytes) {
  const eddy::IoResult result = bytes.read_from(fd, max_bytes);
  n_added += result.bytes;
  return result;
}

eddy::IoResult evbuffer::write_out(int fd, std::size_t max_bytes) noexcept {
  const std::size_t before = bytes.size();
  eddy::IoResult result = bytes.write_to(fd, max_bytes);
  const std::size_t written = before - bytes.size();
  removed += static_cast<std::int64_t>(written);
  n_deleted += written;
  release_references(false);
  result.bytes = written;
  return result;
}

void evbuffer::release_references(bool all) noexcept {
  // Cleanups run in the order the references were added (the order their
  // bytes leave the buffer), each once, even if a cleanup changes the buffer.
  while (!references.empty() && (all || references.front().end <= removed)) {
    const Reference ref = references.front();
    references.erase(references.begin());
    ref.cleanup(ref.data, ref.size, ref.extra);
  }
}

std::size_t evbuffer::copy_range(std::size_t offset, void* dest, std::size_t n) const {
  auto* to = static_cast<char*>(dest);
  std::size_t copied = 0;
  for_each_segment([&](const char* data, std::size_t size) {
    if (offset >= size) {
      offset -= size;
      return true;
    }
    const std::size_t k = std::min(size - offset, n - copied);
    std::memcpy(to + copied, data + offset, k);
    copied += k;
    offset = 0;
    return copied < n;
  });
  return copied;
}

std::size_t evbuffer::run_length(std::size_t from, std::string_view set) const {
  std::size_t length = 0;
  for_each_segment([&](const char* data, std::size_t size) {
    if (from >= size) {
      from -= size;
      return true;
    }
    for (std::size_t i = from; i < size; ++i) {
      if (set.find(data[i]) == std::string_view::npos) {
        return false;
      }
      ++length;
    }
    from = 0;
    return true;
  });
  return length;
}

void evbuffer::changed() noexcept {
  if (n_added == 0 && n_deleted == 0) {
    return;
  }
  if (deferred) {
    auto* base = deferred_event.ev_base;
    base->activate_later(&deferred_event, EV_TIMEOUT);
    return;
  }
  run_callbacks();
}

void evbuffer::run_callbacks() noexcept {
  // Re-entered when a callback changes the buffer: that change is reported
  // at once, with its own counts, as libevent does.
  if (n_added == 0 && n_deleted == 0) {
    return;
  }
  const std::size_t new_size = bytes.size();
  evbuffer_cb_info info{new_size - n_added + n_deleted, n_added, n_deleted};
  n_added = 0;
  n_deleted = 0;
  for (evbuffer_cb_entry* entry = callbacks; entry != nullptr;) {
    evbuffer_cb_entry* next = entry->next;  // the callback may remove itself
    if ((entry->flags & EVBUFFER_CB_ENABLED) != 0) {
      if (entry->callback != nullptr) {
        entry->callback(this, &info, entry->arg);
      } else {
        entry->obsolete(this, info.orig_size, new_size, entry->arg);
      }
    }
    entry = next;
  }
}
