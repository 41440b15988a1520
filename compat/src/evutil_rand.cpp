// evutil_secure_rng_*: random bytes for programs that ask libevent for them.
//
// libevent 2.1 keeps an ARC4 stream seeded from /dev/urandom; eddy asks the
// kernel every time (getrandom(2), Linux 3.17), which needs no seeding, no
// state to lock and survives fork() without repeating itself. A device named
// by evutil_secure_rng_set_urandom_device_file is read instead, as libevent
// reads it.
#include <event2/util.h>

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

namespace {

std::atomic<const char*> device_file{nullptr};

// Fills buf from the device; false if it cannot be opened or runs dry.
bool read_device(const char* path, unsigned char* buf, std::size_t n) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::read(fd, buf + done, n - done);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      break;
    }
    done += static_cast<std::size_t>(r);
  }
  ::close(fd);
  return done == n;
}

bool fill(unsigned char* buf, std::size_t n) {
  if (const char* path = device_file.load(std::memory_order_acquire); path != nullptr) {
    return read_device(path, buf, n);
  }
  std::size_t done = 0;
  while (done < n) {
    // Blocks only until the kernel's pool is first initialised, at boot.
    const ssize_t r = ::getrandom(buf + done, n - done, 0);
    if (r < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    done += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

extern "C" {

void evutil_secure_rng_get_bytes(void* buf, size_t n) {
  if (!fill(static_cast<unsigned char*>(buf), n)) {
    // libevent has no way to report this either; predictable bytes would
    // be worse than stopping.
    std::abort();
  }
}

int evutil_secure_rng_init(void) {
  unsigned char probe;
  return fill(&probe, 1) ? 0 : -1;
}

int evutil_secure_rng_set_urandom_device_file(char* fname) {
  device_file.store(fname, std::memory_order_release);
  return 0;
}

// The kernel's pool already mixes in more entropy than a caller can add.
void evutil_secure_rng_add_bytes(const char*, size_t) {}

}  // extern "C"
