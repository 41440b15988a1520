/* A randomized differential test of evbuffer: a seeded sequence of
 * operations on two evbuffers, A and B, with a line after every step:
 *   <step> <operation> <arguments> ret=<result> [x=<fnv of bytes out>] A=<len>/<fnv> B=<len>/<fnv>
 * The results printed are those that do not depend on how an
 * implementation cuts its buffers into chunks: lengths, contents,
 * positions, return values (peek's vector count and reserve's are not;
 * what the vectors hold is).
 *   evbuffer_random [SEED [STEPS]]
 * SEED defaults to 20240607, STEPS to 2000 or $EDDY_EVBUFFER_STEPS. */
#include "diffb_case.h"

#include <inttypes.h>

#include <event2/buffer.h>

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* 0 .. n-1 (n > 0) */
static size_t below(size_t n)
{
	return (size_t)(rng() % n);
}

/* Random bytes, often from a small alphabet with line ends and NUL so that
 * searches and readln find things. */
static void random_bytes(unsigned char *p, size_t n)
{
	static const unsigned char alphabet[] = {'a', 'b', 'c', '\r', '\n', '\0', 'a', 'b'};
	int mode = (int)below(3);
	for (size_t i = 0; i < n; ++i) {
		if (mode == 0)
			p[i] = (unsigned char)rng();
		else
			p[i] = alphabet[below(sizeof alphabet)];
	}
}

/* Random length: mostly small, sometimes big. */
static size_t random_len(void)
{
	switch (below(10)) {
	case 0: return 0;
	case 1: return 1 + below(4);
	case 2: return 1000 + below(5000);
	case 3: return 4090 + below(12);
	default: return below(300);
	}
}

static unsigned char refpool[65536];
static int ref_added, ref_cleaned;

static void on_cleanup(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	(void)arg;
	++ref_cleaned;
}

static const char *eol_name(enum evbuffer_eol_style s)
{
	switch (s) {
	case EVBUFFER_EOL_ANY: return "ANY";
	case EVBUFFER_EOL_CRLF: return "CRLF";
	case EVBUFFER_EOL_CRLF_STRICT: return "CRLF_STRICT";
	case EVBUFFER_EOL_LF: return "LF";
	case EVBUFFER_EOL_NUL: return "NUL";
	}
	return "?";
}

static void summary(struct evbuffer *buf, char *out, size_t outn)
{
	size_t n;
	unsigned char *c = case_contents(buf, &n);
	snprintf(out, outn, "%lu/%08x", (unsigned long)n, (unsigned)case_fnv1a(c, n, CASE_FNV_INIT));
	free(c);
}

int main(int argc, char **argv)
{
	case_start();
	uint64_t seed = 20240607;
	long steps = 2000;
	const char *env = getenv("EDDY_EVBUFFER_STEPS");
	if (env != NULL && *env != '\0')
		steps = strtol(env, NULL, 10);
	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		steps = strtol(argv[2], NULL, 10);
	if (steps > 100000)
		alarm(0); /* long runs are asked for explicitly */
	rng_state = seed;
	printf("seed %" PRIu64 " steps %ld\n", seed, steps);
	for (size_t i = 0; i < sizeof refpool; ++i)
		refpool[i] = (unsigned char)rng();

	struct evbuffer *bufs[2];
	bufs[0] = evbuffer_new();
	bufs[1] = evbuffer_new();
	const char names[2] = {'A', 'B'};
	unsigned char *tmp = (unsigned char *)malloc(70000);
	if (tmp == NULL)
		case_fail("malloc");

	for (long step = 0; step < steps; ++step) {
		int t = (int)below(2);
		struct evbuffer *buf = bufs[t];
		struct evbuffer *other = bufs[1 - t];
		size_t len = evbuffer_get_length(buf);
		char args[128] = "";
		char extra[64] = "";
		const char *op;
		long ret = 0;
		/* Keep the buffers from growing without bound. */
		int choice = len > 200000 ? 2 : (int)below(19);
		switch (choice) {
		case 0: {
			size_t n = random_len();
			random_bytes(tmp, n);
			op = "add";
			snprintf(args, sizeof args, "%c %lu", names[t], (unsigned long)n);
			ret = evbuffer_add(buf, tmp, n);
			break;
		}
		case 1: {
			size_t n = below(100);
			random_bytes(tmp, n);
			op = "prepend";
			snprintf(args, sizeof args, "%c %lu", names[t], (unsigned long)n);
			ret = evbuffer_prepend(buf, tmp, n);
			break;
		}
		case 2: {
			size_t n = below(len + 10);
			if (len > 200000)
				n = len - below(1000);
			op = "drain";
			snprintf(args, sizeof args, "%c %lu", names[t], (unsigned long)n);
			ret = evbuffer_drain(buf, n);
			break;
		}
		case 3: {
			size_t n = below(len < 60000 ? len + 10 : 60000);
			op = "remove";
			snprintf(args, sizeof args, "%c %lu", names[t], (unsigned long)n);
			ret = evbuffer_remove(buf, tmp, n);
			if (ret > 0)
				snprintf(extra, sizeof extra, " x=%08x", (unsigned)case_fnv1a(tmp, (size_t)ret, CASE_FNV_INIT));
			break;
		}
		case 4: {
			size_t n = below(len + 10);
			op = "remove_buffer";
			snprintf(args, sizeof args, "%c->%c %lu", names[t], names[1 - t], (unsigned long)n);
			ret = evbuffer_remove_buffer(buf, other, n);
			break;
		}
		case 5: {
			op = "add_buffer";
			snprintf(args, sizeof args, "%c<-%c", names[t], names[1 - t]);
			ret = evbuffer_add_buffer(buf, other);
			break;
		}
		case 6: {
			op = "prepend_buffer";
			snprintf(args, sizeof args, "%c<-%c", names[t], names[1 - t]);
			ret = evbuffer_prepend_buffer(buf, other);
			break;
		}
		case 7: {
			ev_ssize_t n = (ev_ssize_t)below(len + 6) - 1;
			op = "pullup";
			snprintf(args, sizeof args, "%c %ld", names[t], (long)n);
			unsigned char *p = evbuffer_pullup(buf, n);
			ret = p != NULL;
			if (p != NULL) {
				size_t m = n < 0 ? len : (size_t)n;
				snprintf(extra, sizeof extra, " x=%08x", (unsigned)case_fnv1a(p, m, CASE_FNV_INIT));
			}
			break;
		}
		case 8: {
			size_t n = below(len < 60000 ? len + 10 : 60000);
			op = "copyout";
			snprintf(args, sizeof args, "%c %lu", names[t], (unsigned long)n);
			ret = (long)evbuffer_copyout(buf, tmp, n);
			if (ret > 0)
				snprintf(extra, sizeof extra, " x=%08x", (unsigned)case_fnv1a(tmp, (size_t)ret, CASE_FNV_INIT));
			break;
		}
		case 9: {
			/* A pattern taken from the buffer (or random), searched from a
			 * random start, sometimes within a range. */
			size_t plen = 1 + below(4);
			unsigned char pat[4];
			if (len >= plen && below(4) != 0) {
				size_t at = below(len - plen + 1);
				struct evbuffer_ptr p;
				evbuffer_ptr_set(buf, &p, at, EVBUFFER_PTR_SET);
				evbuffer_copyout_from(buf, &p, pat, plen);
			} else {
				random_bytes(pat, plen);
			}
			size_t from = below(len + 2);
			struct evbuffer_ptr start, end;
			int start_ok = evbuffer_ptr_set(buf, &start, from, EVBUFFER_PTR_SET);
			int ranged = (int)below(2);
			size_t to = from + below(len + 2 - from + 1);
			int end_ok = ranged ? evbuffer_ptr_set(buf, &end, to, EVBUFFER_PTR_SET) : -1;
			op = "search";
			snprintf(args, sizeof args, "%c plen=%lu from=%lu(%d) to=%ld(%d)", names[t], (unsigned long)plen,
			         (unsigned long)from, start_ok, ranged ? (long)to : -1L, end_ok);
			struct evbuffer_ptr r;
			if (ranged && end_ok == 0)
				r = evbuffer_search_range(buf, (const char *)pat, plen, start_ok == 0 ? &start : NULL, &end);
			else
				r = evbuffer_search(buf, (const char *)pat, plen, start_ok == 0 ? &start : NULL);
			ret = (long)r.pos;
			break;
		}
		case 10: {
			enum evbuffer_eol_style style = (enum evbuffer_eol_style)below(5);
			size_t n = 99999;
			op = "readln";
			snprintf(args, sizeof args, "%c %s", names[t], eol_name(style));
			char *line = evbuffer_readln(buf, &n, style);
			ret = line != NULL ? (long)n : -1;
			if (line != NULL) {
				snprintf(extra, sizeof extra, " x=%08x nul=%d", (unsigned)case_fnv1a(line, n, CASE_FNV_INIT),
				         line[n] == '\0');
				free(line);
			}
			break;
		}
		case 11: {
			enum evbuffer_eol_style style = (enum evbuffer_eol_style)below(5);
			size_t from = below(len + 2);
			struct evbuffer_ptr start;
			int start_ok = evbuffer_ptr_set(buf, &start, from, EVBUFFER_PTR_SET);
			size_t eol_len = 0;
			op = "search_eol";
			snprintf(args, sizeof args, "%c %s from=%lu(%d)", names[t], eol_name(style), (unsigned long)from,
			         start_ok);
			struct evbuffer_ptr r = evbuffer_search_eol(buf, start_ok == 0 ? &start : NULL, &eol_len, style);
			ret = (long)r.pos;
			if (r.pos >= 0)
				snprintf(extra, sizeof extra, " eol_len=%lu", (unsigned long)eol_len);
			break;
		}
		case 12: {
			size_t n = 1 + below(3000);
			int nvec = 1 + (int)below(2);
			struct evbuffer_iovec v[2];
			op = "reserve_commit";
			int got = evbuffer_reserve_space(buf, (ev_ssize_t)n, v, nvec);
			size_t commit = below(n + 1);
			snprintf(args, sizeof args, "%c %lu nvec=%d commit=%lu", names[t], (unsigned long)n, nvec,
			         (unsigned long)commit);
			if (got < 1 || got > nvec) {
				ret = -100 - got;
				break;
			}
			random_bytes(tmp, commit);
			size_t space = 0, done = 0;
			int used = 0;
			for (int i = 0; i < got; ++i) {
				space += v[i].iov_len;
				size_t take = v[i].iov_len < commit - done ? v[i].iov_len : commit - done;
				memcpy(v[i].iov_base, tmp + done, take);
				v[i].iov_len = take;
				done += take;
				if (take > 0)
					used = i + 1;
			}
			if (space < n) {
				ret = -99;
				break;
			}
			ret = evbuffer_commit_space(buf, v, used);
			break;
		}
		case 13: {
			size_t n = below(2000);
			size_t at = below(sizeof refpool - n);
			op = "add_reference";
			snprintf(args, sizeof args, "%c %lu", names[t], (unsigned long)n);
			ret = evbuffer_add_reference(buf, refpool + at, n, on_cleanup, NULL);
			if (ret == 0)
				++ref_added;
			break;
		}
		case 14: {
			size_t n = below(10000);
			op = "expand";
			snprintf(args, sizeof args, "%c %lu", names[t], (unsigned long)n);
			ret = evbuffer_expand(buf, n);
			break;
		}
		case 15: {
			ev_ssize_t n = (ev_ssize_t)below(len + 6) - 1;
			size_t from = below(len + 1);
			struct evbuffer_ptr start;
			int start_ok = evbuffer_ptr_set(buf, &start, from, EVBUFFER_PTR_SET);
			op = "peek";
			snprintf(args, sizeof args, "%c %ld from=%lu(%d)", names[t], (long)n, (unsigned long)from, start_ok);
			int needed = evbuffer_peek(buf, n, start_ok == 0 ? &start : NULL, NULL, 0);
			struct evbuffer_iovec *v = NULL;
			if (needed > 0) {
				v = (struct evbuffer_iovec *)malloc(sizeof *v * (size_t)needed);
				if (v == NULL)
					case_fail("malloc");
			}
			int got = needed > 0 ? evbuffer_peek(buf, n, start_ok == 0 ? &start : NULL, v, needed) : 0;
			/* The bytes the vectors cover from the start, up to n (all with -1). */
			size_t avail = len - (start_ok == 0 ? from : 0);
			size_t want = n < 0 || (size_t)n > avail ? avail : (size_t)n;
			size_t covered = 0;
			uint32_t h = CASE_FNV_INIT;
			for (int i = 0; i < got && covered < want; ++i) {
				size_t take = v[i].iov_len < want - covered ? v[i].iov_len : want - covered;
				h = case_fnv1a(v[i].iov_base, take, h);
				covered += take;
			}
			free(v);
			ret = (long)covered;
			snprintf(extra, sizeof extra, " x=%08x same=%d", (unsigned)h, got == needed);
			break;
		}
		case 16: {
			unsigned long k = (unsigned long)below(100000);
			op = "add_printf";
			snprintf(args, sizeof args, "%c %lu", names[t], k);
			ret = evbuffer_add_printf(buf, "[%lu|%s|%c]", k, k % 2 ? "odd" : "even", (int)('a' + k % 26));
			break;
		}
		case 17: {
			size_t pos = below(len + 3);
			size_t add = below(len + 3);
			struct evbuffer_ptr p;
			op = "ptr_set";
			int r1 = evbuffer_ptr_set(buf, &p, pos, EVBUFFER_PTR_SET);
			int r2 = r1 == 0 ? evbuffer_ptr_set(buf, &p, add, EVBUFFER_PTR_ADD) : -2;
			snprintf(args, sizeof args, "%c %lu+%lu", names[t], (unsigned long)pos, (unsigned long)add);
			ret = r1 * 10 + r2;
			snprintf(extra, sizeof extra, " pos=%ld", (long)p.pos);
			if (r1 != 0)
				snprintf(extra, sizeof extra, " pos=-");
			break;
		}
		default: {
			size_t n = below(len + 10);
			op = "get_contiguous_space>0";
			snprintf(args, sizeof args, "%c", names[t]);
			(void)n;
			ret = (evbuffer_get_contiguous_space(buf) > 0) == (len > 0);
			break;
		}
		}
		char sa[32], sb[32];
		summary(bufs[0], sa, sizeof sa);
		summary(bufs[1], sb, sizeof sb);
		printf("%ld %s %s ret=%ld%s A=%s B=%s\n", step, op, args, ret, extra, sa, sb);
	}
	evbuffer_free(bufs[0]);
	evbuffer_free(bufs[1]);
	printf("references added %d, cleanups run %d\n", ref_added, ref_cleaned);
	free(tmp);
	printf("done\n");
	return 0;
}
