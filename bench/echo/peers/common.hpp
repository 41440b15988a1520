// What the peer echo servers share: their command line, their exit codes and,
// for the two that work on raw sockets (libev, io_uring), the listening
// socket. Each server does everything else the way its own library does it.
//
// Command line: NAME [--port N] [--bind ADDR]
//   --port: 1 to 65535, default 25341 (eddy-echo's and eddy-load's default)
//   --bind: a numeric IPv4 or IPv6 address, default 127.0.0.1
// Exit codes: 0 after SIGINT/SIGTERM, 1 when it cannot listen or run, 2 for a
// bad command line, 3 (io_uring only) when the kernel refuses io_uring.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace peers {

constexpr int kDefaultPort = 25341;
// Stop reading a connection while more than this many bytes wait to be sent
// back to it; read again once the backlog is at or below it.
constexpr std::size_t kMaxQueued = 1024 * 1024;
// Bytes asked for by one read.
constexpr std::size_t kReadSize = 64 * 1024;

struct Options {
  const char* name = "";
  int port = kDefaultPort;
  const char* bind_address = "127.0.0.1";
};

[[noreturn]] inline void usage(const char* name, const char* message) {
  std::fprintf(stderr, "%s: %s\nusage: %s [--port N] [--bind ADDR]\n", name, message, name);
  std::exit(2);
}

[[noreturn]] inline void fail(const char* name, const char* operation, int error) {
  std::fprintf(stderr, "%s: %s: %s\n", name, operation, std::strerror(error));
  std::exit(1);
}

inline Options parse_options(const char* name, int argc, char** argv) {
  Options options;
  options.name = name;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char* end = nullptr;
      errno = 0;
      long value = std::strtol(argv[++i], &end, 10);
      if (errno != 0 || end == argv[i] || *end != '\0' || value < 1 || value > 65535) {
        usage(name, "--port needs a number from 1 to 65535");
      }
      options.port = static_cast<int>(value);
    } else if (std::strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
      options.bind_address = argv[++i];
    } else if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      std::fprintf(stderr, "usage: %s [--port N] [--bind ADDR]\n", name);
      std::exit(0);
    } else {
      usage(name, "unknown or incomplete argument");
    }
  }
  return options;
}

// The address to listen on; a --bind that is not a numeric address is a usage
// error (exit 2).
inline socklen_t parse_address(const Options& options, sockaddr_storage& storage) {
  storage = sockaddr_storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, options.bind_address, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(options.port));
    return sizeof *v4;
  }
  if (inet_pton(AF_INET6, options.bind_address, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(options.port));
    return sizeof *v6;
  }
  usage(options.name, "--bind needs a numeric IPv4 or IPv6 address");
}

[[noreturn]] inline void cannot_listen(const Options& options, const char* error) {
  std::fprintf(stderr, "%s: cannot listen on %s port %d: %s\n", options.name, options.bind_address, options.port,
               error);
  std::exit(1);
}

// A listening TCP socket (SO_REUSEADDR, backlog SOMAXCONN); exits 1 when it
// cannot bind. `type_flags` go to socket(): SOCK_NONBLOCK or 0.
inline int listen_socket(const Options& options, int type_flags) {
  sockaddr_storage storage;
  socklen_t length = parse_address(options, storage);
  int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | type_flags, 0);
  if (fd < 0) {
    fail(options.name, "socket", errno);
  }
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    fail(options.name, "setsockopt(SO_REUSEADDR)", errno);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 || listen(fd, SOMAXCONN) != 0) {
    cannot_listen(options, std::strerror(errno));
  }
  return fd;
}

inline void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace peers
