/*
 * legacy_echo.c: a TCP echo server written against the libevent 1.4 API
 * (<event.h>, event_set, event_base_set, event_add), the way many old
 * programs still are. It builds unchanged against Debian's libevent and
 * against eddy's compat layer, which is the point: the same old-style
 * source must behave the same on both.
 *
 * Unlike the tutorials it resembles, it is meant to survive real clients:
 * data is handled as bytes with explicit lengths, a peer that does not read
 * cannot make the server buffer without bound, every connection's events
 * and buffers are freed however it ends, and the process exits cleanly on
 * SIGINT or SIGTERM.
 *
 *   eddy-legacy-echo [--port N] [--bind ADDR]
 *
 * Exit status: 0 after a signal, 1 when it cannot listen, 2 on a usage
 * error.
 */

#include <event.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum {
  DEFAULT_PORT = 25341,
  /* A client that sends but never reads would otherwise make the server
   * hold everything it sent; above this the server stops reading from it,
   * so TCP flow control pushes back on the client instead. */
  QUEUE_LIMIT = 1024 * 1024,
  /* Resuming at half the limit rather than just under it avoids toggling
   * the read event for every few bytes written. */
  QUEUE_RESUME = QUEUE_LIMIT / 2,
  READ_SIZE = 64 * 1024,
  /* Bounds the work one wakeup of the listener does, so that a burst of
   * connections cannot starve the established ones. */
  ACCEPTS_PER_WAKEUP = 64,
  /* How long accepting pauses after the process ran out of descriptors or
   * memory: the pending connection stays in the backlog and the listener
   * stays readable, so retrying at once would spin. */
  ACCEPT_RETRY_MS = 100
};

static const char *program = "eddy-legacy-echo";

struct chunk {
  struct chunk *next;
  size_t size;
  size_t sent;
  char data[];
};

struct server;

struct conn {
  struct server *server;
  struct conn *prev;
  struct conn *next;
  int fd;
  struct event *read_event;
  struct event *write_event;
  struct chunk *head;
  struct chunk *tail;
  size_t queued;
  int reading;
  int writing;
  int peer_done; /* EOF seen: close once the queue has drained */
};

struct server {
  struct event_base *base;
  int listen_fd;
  struct event *listen_event;
  struct event *retry_event;
  int accept_paused;
  struct event *signal_events[2];
  struct conn *conns;
};

static void conn_read_cb(evutil_socket_t fd, short what, void *arg);
static void conn_write_cb(evutil_socket_t fd, short what, void *arg);

static void usage(FILE *out) {
  fprintf(out, "usage: %s [--port N] [--bind ADDR]\n", program);
  fprintf(out, "  --port N     TCP port to listen on (default %d)\n", DEFAULT_PORT);
  fprintf(out, "  --bind ADDR  IPv4 or IPv6 address to listen on (default 127.0.0.1)\n");
}

static int set_nonblocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0) {
    return -1;
  }
  return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* event_add can fail (out of memory, or the backend refusing the fd); an
 * event we believe armed but is not would leave the connection hanging
 * forever, so callers treat failure as the end of the connection. */
static int arm(struct event *ev) { return event_add(ev, NULL); }

static void free_queue(struct conn *c) {
  struct chunk *chunk = c->head;
  while (chunk != NULL) {
    struct chunk *next = chunk->next;
    free(chunk);
    chunk = next;
  }
  c->head = c->tail = NULL;
  c->queued = 0;
}

static void resume_accepting(struct server *s);

static void conn_close(struct conn *c) {
  struct server *s = c->server;
  /* Deleting an event that is not pending is harmless, and cheaper to
   * reason about than tracking which of the two happen to be armed. */
  event_del(c->read_event);
  event_del(c->write_event);
  free(c->read_event);
  free(c->write_event);
  free_queue(c);
  close(c->fd);
  if (c->prev != NULL) {
    c->prev->next = c->next;
  } else {
    s->conns = c->next;
  }
  if (c->next != NULL) {
    c->next->prev = c->prev;
  }
  free(c);
  /* A descriptor was just released: if accept had run out of them, the
   * backlog can be served now instead of after the retry timer. */
  if (s->accept_paused) {
    resume_accepting(s);
  }
}

static int enqueue(struct conn *c, const char *data, size_t size) {
  struct chunk *chunk = malloc(sizeof *chunk + size);
  if (chunk == NULL) {
    return -1;
  }
  chunk->next = NULL;
  chunk->size = size;
  chunk->sent = 0;
  memcpy(chunk->data, data, size);
  if (c->tail != NULL) {
    c->tail->next = chunk;
  } else {
    c->head = chunk;
  }
  c->tail = chunk;
  c->queued += size;
  return 0;
}

/* Writes queued chunks until the queue is empty or the socket is full.
 * Returns -1 when the connection is broken. MSG_NOSIGNAL: a peer that reset
 * must cost us an EPIPE on this connection, not SIGPIPE for the process. */
static int flush_queue(struct conn *c) {
  while (c->head != NULL) {
    struct chunk *chunk = c->head;
    const ssize_t n = send(c->fd, chunk->data + chunk->sent, chunk->size - chunk->sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return 0;
      }
      return -1;
    }
    chunk->sent += (size_t)n;
    c->queued -= (size_t)n;
    if (chunk->sent == chunk->size) {
      c->head = chunk->next;
      if (c->head == NULL) {
        c->tail = NULL;
      }
      free(chunk);
    }
  }
  return 0;
}

/* Brings the read and write events in line with the queue: write interest
 * only while something is queued (an idle socket is always writable, so
 * keeping it armed would wake the loop for nothing), read interest only
 * while the queue is below its limit and the peer may still send.
 * Returns -1 when an event could not be armed. */
static int update_interest(struct conn *c) {
  const int want_write = c->head != NULL;
  int want_read = c->reading;
  if (c->peer_done) {
    want_read = 0;
  } else if (c->queued >= QUEUE_LIMIT) {
    want_read = 0;
  } else if (c->queued <= QUEUE_RESUME) {
    want_read = 1;
  }

  if (want_write && !c->writing) {
    if (arm(c->write_event) < 0) {
      return -1;
    }
  } else if (!want_write && c->writing) {
    event_del(c->write_event);
  }
  c->writing = want_write;

  if (want_read && !c->reading) {
    if (arm(c->read_event) < 0) {
      return -1;
    }
  } else if (!want_read && c->reading) {
    event_del(c->read_event);
  }
  c->reading = want_read;
  return 0;
}

/* After every read or write: close when there is nothing left to do for
 * this connection, otherwise re-arm what is needed. */
static void conn_settle(struct conn *c) {
  if (c->peer_done && c->head == NULL) {
    conn_close(c);
    return;
  }
  if (update_interest(c) < 0) {
    fprintf(stderr, "%s: cannot arm a connection's event; closing it\n", program);
    conn_close(c);
  }
}

static void conn_read_cb(evutil_socket_t fd, short what, void *arg) {
  /* One buffer for every connection is enough: the loop runs one callback
   * at a time, and anything not written at once is copied into the queue. */
  static char buffer[READ_SIZE];
  struct conn *c = arg;
  (void)what;

  const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      return;
    }
    /* ECONNRESET and the like: nothing more can be delivered. */
    conn_close(c);
    return;
  }
  if (n == 0) {
    /* The peer is done sending but may still be reading: deliver what is
     * queued before closing, as an echo of everything it sent. */
    c->peer_done = 1;
    conn_settle(c);
    return;
  }

  size_t size = (size_t)n;
  size_t offset = 0;
  /* Writing straight away when nothing is queued keeps the common case to
   * one send and no copy; order requires queueing once anything is. */
  if (c->head == NULL) {
    while (offset < size) {
      const ssize_t sent = send(fd, buffer + offset, size - offset, MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          break;
        }
        conn_close(c);
        return;
      }
      offset += (size_t)sent;
    }
  }
  if (offset < size && enqueue(c, buffer + offset, size - offset) < 0) {
    fprintf(stderr, "%s: out of memory queueing %zu bytes; closing the connection\n", program, size - offset);
    conn_close(c);
    return;
  }
  conn_settle(c);
}

static void conn_write_cb(evutil_socket_t fd, short what, void *arg) {
  struct conn *c = arg;
  (void)fd;
  (void)what;
  if (flush_queue(c) < 0) {
    conn_close(c);
    return;
  }
  conn_settle(c);
}

static void conn_open(struct server *s, int fd) {
  struct conn *c = calloc(1, sizeof *c);
  if (c != NULL) {
    c->read_event = malloc(sizeof(struct event));
    c->write_event = malloc(sizeof(struct event));
  }
  if (c == NULL || c->read_event == NULL || c->write_event == NULL) {
    fprintf(stderr, "%s: out of memory for a new connection; closing it\n", program);
    if (c != NULL) {
      free(c->read_event);
      free(c->write_event);
      free(c);
    }
    close(fd);
    return;
  }
  c->server = s;
  c->fd = fd;
  event_set(c->read_event, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
  event_base_set(s->base, c->read_event);
  event_set(c->write_event, fd, EV_WRITE | EV_PERSIST, conn_write_cb, c);
  event_base_set(s->base, c->write_event);

  c->next = s->conns;
  if (s->conns != NULL) {
    s->conns->prev = c;
  }
  s->conns = c;

  if (arm(c->read_event) < 0) {
    fprintf(stderr, "%s: cannot arm a new connection's read event; closing it\n", program);
    conn_close(c);
    return;
  }
  c->reading = 1;
}

static void pause_accepting(struct server *s) {
  struct timeval retry = {0, ACCEPT_RETRY_MS * 1000};
  if (s->accept_paused) {
    return;
  }
  event_del(s->listen_event);
  s->accept_paused = 1;
  if (evtimer_add(s->retry_event, &retry) < 0) {
    /* Without the timer only a closing connection would resume accepting;
     * better to spin than to stop accepting for good. */
    resume_accepting(s);
  }
}

static void resume_accepting(struct server *s) {
  event_del(s->retry_event);
  s->accept_paused = 0;
  if (arm(s->listen_event) < 0) {
    fprintf(stderr, "%s: cannot re-arm the listener; stopping\n", program);
    event_base_loopexit(s->base, NULL);
  }
}

static void retry_cb(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  resume_accepting(arg);
}

static void accept_cb(evutil_socket_t listen_fd, short what, void *arg) {
  struct server *s = arg;
  (void)what;
  for (int i = 0; i < ACCEPTS_PER_WAKEUP; ++i) {
    const int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0) {
      switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
          return;
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
          /* The connection died in the backlog; others may be waiting. */
          continue;
        default:
          /* EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection stays queued
           * and the listener stays readable, so back off rather than spin. */
          fprintf(stderr, "%s: accept: %s; pausing for %d ms\n", program, strerror(errno), ACCEPT_RETRY_MS);
          pause_accepting(s);
          return;
      }
    }
    if (set_nonblocking(fd) < 0) {
      close(fd);
      continue;
    }
    conn_open(s, fd);
  }
}

static void signal_cb(evutil_socket_t signo, short what, void *arg) {
  struct server *s = arg;
  (void)what;
  fprintf(stderr, "%s: signal %d, exiting\n", program, (int)signo);
  event_base_loopexit(s->base, NULL);
}

/* Parses a port in 1..65535; anything else (sign, trailing text, zero) is
 * a usage error rather than something atoi would quietly turn into 0. */
static int parse_port(const char *text, unsigned short *port) {
  char *end = NULL;
  errno = 0;
  const long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || text[0] == '+' || value < 1 || value > 65535) {
    return -1;
  }
  *port = (unsigned short)value;
  return 0;
}

static int parse_address(const char *text, unsigned short port, struct sockaddr_storage *addr, socklen_t *size) {
  struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
  memset(addr, 0, sizeof *addr);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *size = sizeof *v4;
    return 0;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *size = sizeof *v6;
    return 0;
  }
  return -1;
}

static int open_listener(const char *bind_text, unsigned short port) {
  struct sockaddr_storage addr;
  socklen_t size = 0;
  const int one = 1;
  if (parse_address(bind_text, port, &addr, &size) < 0) {
    return -1; /* checked by the caller before, kept for safety */
  }
  const int fd = socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0) {
    fprintf(stderr, "%s: socket: %s\n", program, strerror(errno));
    return -1;
  }
  /* So that a restart does not wait out TIME_WAIT; it does not let two
   * servers share a port, which is what "port in use" must still report. */
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&addr, size) < 0 || listen(fd, SOMAXCONN) < 0 || set_nonblocking(fd) < 0) {
    const int error = errno;
    fprintf(stderr, "%s: cannot listen on %s port %u: %s\n", program, bind_text, (unsigned)port, strerror(error));
    close(fd);
    return -1;
  }
  return fd;
}

int main(int argc, char **argv) {
  unsigned short port = DEFAULT_PORT;
  const char *bind_text = "127.0.0.1";
  struct sockaddr_storage probe;
  socklen_t probe_size = 0;
  static const int signals[2] = {SIGINT, SIGTERM};
  struct server s;
  int status = 0;
  int events_set = 0;

  if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
    const char *slash = strrchr(argv[0], '/');
    program = slash != NULL ? slash + 1 : argv[0];
  }

  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(argv[i], "--port") == 0 || strcmp(argv[i], "--bind") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "%s: %s needs a value\n", program, argv[i]);
        usage(stderr);
        return 2;
      }
      if (argv[i][2] == 'p') {
        if (parse_port(argv[i + 1], &port) < 0) {
          fprintf(stderr, "%s: --port: not a port number in 1..65535: '%s'\n", program, argv[i + 1]);
          usage(stderr);
          return 2;
        }
      } else {
        bind_text = argv[i + 1];
      }
      ++i;
      continue;
    }
    fprintf(stderr, "%s: unknown argument '%s'\n", program, argv[i]);
    usage(stderr);
    return 2;
  }
  if (parse_address(bind_text, port, &probe, &probe_size) < 0) {
    fprintf(stderr, "%s: --bind: not an IPv4 or IPv6 address: '%s'\n", program, bind_text);
    usage(stderr);
    return 2;
  }

  memset(&s, 0, sizeof s);
  s.listen_fd = open_listener(bind_text, port);
  if (s.listen_fd < 0) {
    return 1;
  }
  s.base = event_base_new();
  s.listen_event = malloc(sizeof(struct event));
  s.retry_event = malloc(sizeof(struct event));
  s.signal_events[0] = malloc(sizeof(struct event));
  s.signal_events[1] = malloc(sizeof(struct event));
  if (s.base == NULL || s.listen_event == NULL || s.retry_event == NULL || s.signal_events[0] == NULL ||
      s.signal_events[1] == NULL) {
    fprintf(stderr, "%s: cannot set up the event loop\n", program);
    status = 1;
    goto done;
  }

  event_set(s.listen_event, s.listen_fd, EV_READ | EV_PERSIST, accept_cb, &s);
  event_base_set(s.base, s.listen_event);
  evtimer_set(s.retry_event, retry_cb, &s);
  event_base_set(s.base, s.retry_event);
  for (int i = 0; i < 2; ++i) {
    /* Through the loop rather than a plain handler, so that the exit path
     * runs from the loop with every event in a known state. */
    evsignal_set(s.signal_events[i], signals[i], signal_cb, &s);
    event_base_set(s.base, s.signal_events[i]);
  }
  events_set = 1;
  for (int i = 0; i < 2; ++i) {
    if (evsignal_add(s.signal_events[i], NULL) < 0) {
      fprintf(stderr, "%s: cannot watch signal %d\n", program, signals[i]);
      status = 1;
      goto done;
    }
  }
  if (arm(s.listen_event) < 0) {
    fprintf(stderr, "%s: cannot watch the listening socket\n", program);
    status = 1;
    goto done;
  }

  fprintf(stderr, "%s: listening on %s port %u\n", program, bind_text, (unsigned)port);
  if (event_base_dispatch(s.base) < 0) {
    fprintf(stderr, "%s: the event loop failed\n", program);
    status = 1;
  }

done:
  /* Freed even though the process is about to exit, so that a leak checker
   * run on the server sees a clean exit and any real leak stands out. */
  while (s.conns != NULL) {
    s.accept_paused = 0; /* no point resuming accept while tearing down */
    conn_close(s.conns);
  }
  if (events_set) {
    event_del(s.listen_event);
    event_del(s.retry_event);
    event_del(s.signal_events[0]);
    event_del(s.signal_events[1]);
  }
  free(s.listen_event);
  free(s.retry_event);
  free(s.signal_events[0]);
  free(s.signal_events[1]);
  if (s.base != NULL) {
    event_base_free(s.base);
  }
  close(s.listen_fd);
  return status;
}
