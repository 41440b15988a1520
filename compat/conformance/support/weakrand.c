/* libevent's fast, predictable generator (util-internal.h): the tests seed
 * it with a constant to get repeatable data, or with 0 for "anything". The
 * caller owns the state, a struct of one ev_uint32_t in libevent's layout;
 * this is a 31-bit linear congruential generator over it (the constants of
 * C89's example rand()). */
#include <event2/util.h>
#include <sys/time.h>
#include <unistd.h>

struct evutil_weakrand_state {
  ev_uint32_t seed;
};

ev_uint32_t evutil_weakrand_seed_(struct evutil_weakrand_state* state, ev_uint32_t seed);
ev_int32_t evutil_weakrand_(struct evutil_weakrand_state* state);
ev_int32_t evutil_weakrand_range_(struct evutil_weakrand_state* state, ev_int32_t top);

ev_uint32_t evutil_weakrand_seed_(struct evutil_weakrand_state* state, ev_uint32_t seed) {
  if (seed == 0) {
    struct timeval now;
    gettimeofday(&now, NULL);
    seed = (ev_uint32_t)now.tv_sec ^ (ev_uint32_t)now.tv_usec ^ (ev_uint32_t)getpid();
  }
  state->seed = seed;
  return seed;
}

/* 0 ... EV_INT32_MAX inclusive. */
ev_int32_t evutil_weakrand_(struct evutil_weakrand_state* state) {
  state->seed = (state->seed * 1103515245u + 12345u) & 0x7fffffffu;
  return (ev_int32_t)state->seed;
}

/* 0 <= x < top. Drawing again past the largest multiple of top keeps the
 * values equally likely; the low bits of an LCG are its weakest, so the
 * value is divided down rather than taken modulo. */
ev_int32_t evutil_weakrand_range_(struct evutil_weakrand_state* state, ev_int32_t top) {
  const ev_int32_t divisor = EV_INT32_MAX / top;
  ev_int32_t r;
  do {
    r = evutil_weakrand_(state) / divisor;
  } while (r >= top);
  return r;
}
