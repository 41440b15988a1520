/*
 * bufferevent_echo.c: the TCP echo server most libevent 2 programs start
 * from (evconnlistener_new_bind, one bufferevent per connection, a read
 * callback moving the input buffer into the output buffer), made to
 * survive real clients: a peer that does not read is throttled rather than
 * buffered without bound, a half-closed peer still gets its echo, running
 * out of descriptors pauses accepting instead of spinning, and SIGINT or
 * SIGTERM end the process cleanly with everything freed. It builds
 * unchanged against Debian's libevent and against eddy's compat layer.
 *
 *   eddy-bufferevent-echo [--port N] [--bind ADDR]
 *
 * Exit status: 0 after a signal, 1 when it cannot listen, 2 on a usage
 * error.
 */

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum {
  DEFAULT_PORT = 25341,
  /* Above this much unsent output the server stops reading from the
   * connection, so TCP flow control pushes back on a client that sends
   * without reading. */
  QUEUE_LIMIT = 1024 * 1024,
  /* Reading resumes at half the limit, not just under it, so that it is
   * not toggled for every few bytes written. */
  QUEUE_RESUME = QUEUE_LIMIT / 2,
  /* Out of descriptors, the pending connection stays in the backlog and
   * the listener stays readable: retrying at once would spin. */
  ACCEPT_RETRY_MS = 100
};

static const char *program = "eddy-bufferevent-echo";

struct server;

struct conn {
  struct server *server;
  struct bufferevent *bev;
  struct conn *prev;
  struct conn *next;
};

struct server {
  struct event_base *base;
  struct evconnlistener *listener;
  struct event *retry_event;
  int accept_paused;
  struct event *signal_events[2];
  struct conn *conns;
};

static void on_read(struct bufferevent *bev, void *arg);
static void on_drained(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

static void usage(FILE *out) {
  fprintf(out, "usage: %s [--port N] [--bind ADDR]\n", program);
  fprintf(out, "  --port N     TCP port to listen on (default %d)\n", DEFAULT_PORT);
  fprintf(out, "  --bind ADDR  IPv4 or IPv6 address to listen on (default 127.0.0.1)\n");
}

static void resume_accepting(struct server *s) {
  event_del(s->retry_event);
  s->accept_paused = 0;
  if (evconnlistener_enable(s->listener) < 0) {
    fprintf(stderr, "%s: cannot re-enable the listener; stopping\n", program);
    event_base_loopexit(s->base, NULL);
  }
}

static void conn_close(struct conn *c) {
  struct server *s = c->server;
  bufferevent_free(c->bev); /* BEV_OPT_CLOSE_ON_FREE closes the socket */
  if (c->prev != NULL) {
    c->prev->next = c->next;
  } else {
    s->conns = c->next;
  }
  if (c->next != NULL) {
    c->next->prev = c->prev;
  }
  free(c);
  /* A descriptor was just released: the backlog can be served now rather
   * than after the retry timer. */
  if (s->accept_paused) {
    resume_accepting(s);
  }
}

static void on_read(struct bufferevent *bev, void *arg) {
  struct evbuffer *out = bufferevent_get_output(bev);
  if (evbuffer_add_buffer(out, bufferevent_get_input(bev)) < 0) {
    fprintf(stderr, "%s: cannot queue the echo; closing the connection\n", program);
    conn_close(arg);
    return;
  }
  if (evbuffer_get_length(out) >= QUEUE_LIMIT) {
    /* The write callback, called once the output drains to the low
     * watermark, resumes reading; it is set only while throttled so that
     * the common case runs no callback per write. */
    bufferevent_disable(bev, EV_READ);
    bufferevent_setwatermark(bev, EV_WRITE, QUEUE_RESUME, 0);
    bufferevent_setcb(bev, on_read, on_drained, on_event, arg);
  }
}

static void on_drained(struct bufferevent *bev, void *arg) {
  bufferevent_setcb(bev, on_read, NULL, on_event, arg);
  if (bufferevent_enable(bev, EV_READ) < 0) {
    conn_close(arg);
  }
}

/* The peer finished sending before everything was echoed: called once the
 * output is empty (low watermark 0). */
static void on_flushed(struct bufferevent *bev, void *arg) {
  (void)bev;
  conn_close(arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
  if ((what & BEV_EVENT_EOF) != 0 && (what & BEV_EVENT_ERROR) == 0 &&
      evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
    /* It may still be reading: deliver what is queued before closing. */
    bufferevent_disable(bev, EV_READ);
    bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
    bufferevent_setcb(bev, NULL, on_flushed, on_event, arg);
    return;
  }
  if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) != 0) {
    conn_close(arg);
  }
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *addr, int socklen,
                      void *arg) {
  struct server *s = arg;
  const int one = 1;
  (void)listener;
  (void)addr;
  (void)socklen;
  /* A bufferevent reads in bounded pieces (16 KiB in libevent), so a large
   * message's echo leaves in pieces: under Nagle the last one would wait for
   * the client's delayed ACK (40 ms), which waits for the rest of it. */
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct conn *c = calloc(1, sizeof *c);
  struct bufferevent *bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
  if (c == NULL || bev == NULL) {
    fprintf(stderr, "%s: out of memory for a new connection; closing it\n", program);
    free(c);
    if (bev != NULL) {
      bufferevent_free(bev);
    } else {
      evutil_closesocket(fd);
    }
    return;
  }
  c->server = s;
  c->bev = bev;
  c->next = s->conns;
  if (s->conns != NULL) {
    s->conns->prev = c;
  }
  s->conns = c;
  bufferevent_setcb(bev, on_read, NULL, on_event, c);
  if (bufferevent_enable(bev, EV_READ | EV_WRITE) < 0) {
    fprintf(stderr, "%s: cannot watch a new connection; closing it\n", program);
    conn_close(c);
  }
}

static void on_accept_error(struct evconnlistener *listener, void *arg) {
  struct server *s = arg;
  const struct timeval retry = {0, ACCEPT_RETRY_MS * 1000};
  fprintf(stderr, "%s: accept: %s; pausing for %d ms\n", program, strerror(errno), ACCEPT_RETRY_MS);
  evconnlistener_disable(listener);
  s->accept_paused = 1;
  if (evtimer_add(s->retry_event, &retry) < 0) {
    /* Without the timer only a closing connection would resume accepting;
     * better to spin than to stop accepting for good. */
    resume_accepting(s);
  }
}

static void on_retry(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  resume_accepting(arg);
}

static void on_signal(evutil_socket_t signo, short what, void *arg) {
  struct server *s = arg;
  (void)what;
  fprintf(stderr, "%s: signal %d, exiting\n", program, (int)signo);
  event_base_loopexit(s->base, NULL);
}

/* A port in 1..65535; anything else (sign, trailing text, zero) is a usage
 * error rather than something atoi would quietly turn into 0. */
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

static int parse_address(const char *text, unsigned short port, struct sockaddr_storage *addr, int *size) {
  struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
  memset(addr, 0, sizeof *addr);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *size = (int)sizeof *v4;
    return 0;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *size = (int)sizeof *v6;
    return 0;
  }
  return -1;
}

/* Parses the command line; returns -1 after printing a usage error, 1
 * after --help, 0 otherwise. */
static int parse_args(int argc, char **argv, unsigned short *port, const char **bind_text) {
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 1;
    }
    if (strcmp(argv[i], "--port") != 0 && strcmp(argv[i], "--bind") != 0) {
      fprintf(stderr, "%s: unknown argument '%s'\n", program, argv[i]);
      usage(stderr);
      return -1;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "%s: %s needs a value\n", program, argv[i]);
      usage(stderr);
      return -1;
    }
    if (strcmp(argv[i], "--port") == 0 && parse_port(argv[i + 1], port) < 0) {
      fprintf(stderr, "%s: --port: not a port number in 1..65535: '%s'\n", program, argv[i + 1]);
      usage(stderr);
      return -1;
    }
    if (strcmp(argv[i], "--bind") == 0) {
      *bind_text = argv[i + 1];
    }
    ++i;
  }
  return 0;
}

int main(int argc, char **argv) {
  unsigned short port = DEFAULT_PORT;
  const char *bind_text = "127.0.0.1";
  static const int signals[2] = {SIGINT, SIGTERM};
  struct sockaddr_storage addr;
  int addr_size = 0;
  struct server s;
  int status = 0;

  if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
    const char *slash = strrchr(argv[0], '/');
    program = slash != NULL ? slash + 1 : argv[0];
  }
  const int parsed = parse_args(argc, argv, &port, &bind_text);
  if (parsed != 0) {
    return parsed > 0 ? 0 : 2;
  }
  if (parse_address(bind_text, port, &addr, &addr_size) < 0) {
    fprintf(stderr, "%s: --bind: not an IPv4 or IPv6 address: '%s'\n", program, bind_text);
    usage(stderr);
    return 2;
  }
  /* bufferevents write with writev(), not send(MSG_NOSIGNAL): a peer that
   * reset must cost an EPIPE on its connection, not the process. */
  signal(SIGPIPE, SIG_IGN);

  memset(&s, 0, sizeof s);
  s.base = event_base_new();
  if (s.base == NULL) {
    fprintf(stderr, "%s: cannot create the event loop\n", program);
    return 1;
  }
  /* SO_REUSEADDR spares a restart the TIME_WAIT delay; it does not let
   * two servers share a port, which must still fail as "in use". */
  s.listener = evconnlistener_new_bind(s.base, on_accept, &s, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, SOMAXCONN,
                                       (struct sockaddr *)&addr, addr_size);
  if (s.listener == NULL) {
    fprintf(stderr, "%s: cannot listen on %s port %u: %s\n", program, bind_text, (unsigned)port, strerror(errno));
    event_base_free(s.base);
    return 1;
  }
  evconnlistener_set_error_cb(s.listener, on_accept_error);
  s.retry_event = evtimer_new(s.base, on_retry, &s);
  for (int i = 0; i < 2; ++i) {
    /* Through the loop rather than a plain handler, so that the exit path
     * runs from the loop with every connection in a known state. */
    s.signal_events[i] = evsignal_new(s.base, signals[i], on_signal, &s);
    if (s.signal_events[i] == NULL || evsignal_add(s.signal_events[i], NULL) < 0) {
      fprintf(stderr, "%s: cannot watch signal %d\n", program, signals[i]);
      status = 1;
    }
  }
  if (s.retry_event == NULL) {
    fprintf(stderr, "%s: cannot set up the event loop\n", program);
    status = 1;
  }

  if (status == 0) {
    fprintf(stderr, "%s: listening on %s port %u\n", program, bind_text, (unsigned)port);
    if (event_base_dispatch(s.base) < 0) {
      fprintf(stderr, "%s: the event loop failed\n", program);
      status = 1;
    }
  }

  /* Freed even though the process is about to exit, so that a leak checker
   * run on the server sees a clean exit and any real leak stands out. */
  s.accept_paused = 0; /* no point resuming accept while tearing down */
  while (s.conns != NULL) {
    conn_close(s.conns);
  }
  evconnlistener_free(s.listener);
  if (s.retry_event != NULL) {
    event_free(s.retry_event);
  }
  for (int i = 0; i < 2; ++i) {
    if (s.signal_events[i] != NULL) {
      event_free(s.signal_events[i]);
    }
  }
  event_base_free(s.base);
  return status;
}
