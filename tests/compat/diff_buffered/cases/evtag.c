/* The tagging API (event2/tag.h): the exact bytes of encoded integers, tags
 * and marshalled records (ints, int64s, strings with NULs, timevals, nested
 * buffers, tags above 127), the values decoded back, and on every error the
 * return value and how much of the input is left, so that both ends of the
 * wire format and what a failed call consumes are compared byte for byte.
 * Truncated records are tried at every prefix length, and random bytes are
 * fed to each decoder. */
#include "diffb_case.h"

#include <event2/buffer.h>
#include <event2/tag.h>

/* Exported by libevent but declared in no public header: its regression
 * tests declare them so too. */
int evtag_decode_int(ev_uint32_t *pnumber, struct evbuffer *evbuf);
int evtag_decode_int64(ev_uint64_t *pnumber, struct evbuffer *evbuf);
int evtag_encode_tag(struct evbuffer *evbuf, ev_uint32_t number);
int evtag_decode_tag(ev_uint32_t *pnumber, struct evbuffer *evbuf);

/* "label: len=N hex" on one line. */
static void dump_hex(const char *label, struct evbuffer *buf)
{
	size_t n;
	unsigned char *c = case_contents(buf, &n);
	printf("%s: len=%lu", label, (unsigned long)n);
	for (size_t i = 0; i < n; ++i)
		printf(" %02x", c[i]);
	putchar('\n');
	free(c);
}

static struct evbuffer *from_bytes(const unsigned char *data, size_t n)
{
	struct evbuffer *buf = evbuffer_new();
	if (buf == NULL || evbuffer_add(buf, data, n) != 0)
		case_fail("evbuffer_add");
	return buf;
}

static void ints(void)
{
	static const ev_uint32_t values[] = {
		0, 1, 0xf, 0x10, 127, 128, 0xff, 0x100, 0xaf0, 0x1000, 0xbef000,
		0xdeadbeef, 0x7fffffff, 0x80000000, 0xffffffff,
	};
	printf("-- encode_int, decode_int\n");
	for (size_t i = 0; i < sizeof values / sizeof values[0]; ++i) {
		struct evbuffer *buf = evbuffer_new();
		evtag_encode_int(buf, values[i]);
		char label[64];
		snprintf(label, sizeof label, "int %#x", (unsigned)values[i]);
		dump_hex(label, buf);
		ev_uint32_t got = 12345;
		int r = evtag_decode_int(&got, buf);
		printf("  decode_int: %d value=%#x left=%lu\n", r, (unsigned)got,
		    (unsigned long)evbuffer_get_length(buf));
		evbuffer_free(buf);
	}
}

static void int64s(void)
{
	static const ev_uint64_t values[] = {
		0, 1, 127, 128, 0xffffffffULL, 0x100000000ULL, 0xdeadbeefULL * 1000000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xffffffffffffffffULL,
	};
	printf("-- encode_int64, decode_int64, decode_int of a 64-bit value\n");
	for (size_t i = 0; i < sizeof values / sizeof values[0]; ++i) {
		struct evbuffer *buf = evbuffer_new();
		evtag_encode_int64(buf, values[i]);
		char label[64];
		snprintf(label, sizeof label, "int64 %#llx", (unsigned long long)values[i]);
		dump_hex(label, buf);
		ev_uint32_t small = 12345;
		int r = evtag_decode_int(&small, buf);
		printf("  decode_int: %d value=%#x left=%lu\n", r, (unsigned)small,
		    (unsigned long)evbuffer_get_length(buf));
		if (r == -1) {
			ev_uint64_t got = 12345;
			r = evtag_decode_int64(&got, buf);
			printf("  decode_int64: %d value=%#llx left=%lu\n", r, (unsigned long long)got,
			    (unsigned long)evbuffer_get_length(buf));
		}
		evbuffer_free(buf);
	}
}

static void tags(void)
{
	static const ev_uint32_t values[] = {
		0, 1, 30, 127, 128, 255, 0x3fff, 0x4000, 0x1fffff, 0x200000,
		0xfffffff, 0x10000000, 0xdeadbeef, 0xffffffff,
	};
	printf("-- encode_tag, decode_tag\n");
	for (size_t i = 0; i < sizeof values / sizeof values[0]; ++i) {
		struct evbuffer *buf = evbuffer_new();
		int r = evtag_encode_tag(buf, values[i]);
		char label[64];
		snprintf(label, sizeof label, "tag %#x (%d)", (unsigned)values[i], r);
		dump_hex(label, buf);
		ev_uint32_t got = 12345;
		r = evtag_decode_tag(&got, buf);
		printf("  decode_tag: %d value=%#x left=%lu\n", r, (unsigned)got,
		    (unsigned long)evbuffer_get_length(buf));
		evbuffer_free(buf);
	}
}

/* Every decoder on `data`, each on a fresh copy: return value, value, left. */
static void decode_all(const unsigned char *data, size_t n)
{
	struct evbuffer *buf;
	ev_uint32_t u32 = 7;
	ev_uint64_t u64 = 7;
	int r;

#define LEFT ((unsigned long)evbuffer_get_length(buf))
	buf = from_bytes(data, n);
	r = evtag_decode_int(&u32, buf);
	printf("  decode_int %d %#x left=%lu", r, (unsigned)u32, LEFT);
	evbuffer_free(buf);
	buf = from_bytes(data, n);
	r = evtag_decode_int64(&u64, buf);
	printf(" | decode_int64 %d %#llx left=%lu", r, (unsigned long long)u64, LEFT);
	evbuffer_free(buf);
	buf = from_bytes(data, n);
	u32 = 7;
	r = evtag_decode_tag(&u32, buf);
	printf(" | decode_tag %d %#x left=%lu\n", r, (unsigned)u32, LEFT);
	evbuffer_free(buf);

	buf = from_bytes(data, n);
	u32 = 7;
	r = evtag_peek(buf, &u32);
	printf("  peek %d %#x left=%lu", r, (unsigned)u32, LEFT);
	u32 = 7;
	r = evtag_peek_length(buf, &u32);
	printf(" | peek_length %d %u left=%lu", r, (unsigned)u32, LEFT);
	u32 = 7;
	r = evtag_payload_length(buf, &u32);
	printf(" | payload_length %d %u left=%lu", r, (unsigned)u32, LEFT);
	r = evtag_consume(buf);
	printf(" | consume %d left=%lu\n", r, LEFT);
	evbuffer_free(buf);

	buf = from_bytes(data, n);
	struct evbuffer *dst = evbuffer_new();
	u32 = 7;
	r = evtag_unmarshal(buf, &u32, dst);
	printf("  unmarshal %d tag=%#x left=%lu", r, (unsigned)u32, LEFT);
	dump_hex(" dst", dst);
	evbuffer_free(dst);
	evbuffer_free(buf);

	for (ev_uint32_t need = 0x20; need <= 0x22; ++need) {
		buf = from_bytes(data, n);
		u32 = 7;
		r = evtag_unmarshal_int(buf, need, &u32);
		printf("  need %#x: int %d %#x left=%lu", (unsigned)need, r, (unsigned)u32, LEFT);
		evbuffer_free(buf);
		buf = from_bytes(data, n);
		u64 = 7;
		r = evtag_unmarshal_int64(buf, need, &u64);
		printf(" | int64 %d %#llx left=%lu", r, (unsigned long long)u64, LEFT);
		evbuffer_free(buf);
		buf = from_bytes(data, n);
		char fixed[4] = {0};
		r = evtag_unmarshal_fixed(buf, need, fixed, sizeof fixed);
		printf(" | fixed %d left=%lu", r, LEFT);
		if (r == 0)
			case_print_bytes(fixed, sizeof fixed);
		evbuffer_free(buf);
		buf = from_bytes(data, n);
		char *s = NULL;
		r = evtag_unmarshal_string(buf, need, &s);
		printf(" | string %d left=%lu", r, LEFT);
		if (r == 0 && s != NULL)
			case_print_bytes(s, strlen(s) + 1);
		free(s);
		evbuffer_free(buf);
		buf = from_bytes(data, n);
		struct timeval tv = {7, 7};
		r = evtag_unmarshal_timeval(buf, need, &tv);
		printf(" | timeval %d %ld.%06ld left=%lu\n", r, (long)tv.tv_sec, (long)tv.tv_usec, LEFT);
		evbuffer_free(buf);
	}
#undef LEFT
}

/* The record in `buf`, in hex, then decoded whole and at every shorter
 * prefix. */
static void record(const char *label, struct evbuffer *buf)
{
	size_t n;
	unsigned char *c = case_contents(buf, &n);
	dump_hex(label, buf);
	for (size_t k = n + 1; k-- > 0;) {
		printf(" prefix %lu\n", (unsigned long)k);
		decode_all(c, k);
	}
	free(c);
}

static void records(void)
{
	struct evbuffer *buf = evbuffer_new();
	struct timeval tv;

	printf("-- marshalled records\n");
	evtag_marshal_int(buf, 0x21, 0);
	record("marshal_int 0x21 0", buf);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	evtag_marshal_int(buf, 0x21, 0xdeadbeef);
	record("marshal_int 0x21 0xdeadbeef", buf);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	evtag_marshal_int64(buf, 0x21, 0x8000000000000000ULL);
	record("marshal_int64 0x21 2^63", buf);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	evtag_marshal_string(buf, 0x20, "hey!");
	record("marshal_string 0x20 hey!", buf);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	evtag_marshal(buf, 0x22, "a\0b\0", 4);
	record("marshal 0x22 a NUL b NUL", buf);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	tv.tv_sec = 1700000000;
	tv.tv_usec = 999999;
	evtag_marshal_timeval(buf, 0x20, &tv);
	record("marshal_timeval 0x20 1700000000.999999", buf);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	evtag_marshal(buf, 0x21, "", 0);
	record("marshal 0x21 empty", buf);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	tv.tv_sec = (time_t)0x123456789LL;
	tv.tv_usec = 0;
	evtag_marshal_timeval(buf, 0x20, &tv);
	dump_hex("marshal_timeval 0x20 0x123456789.0", buf);

	printf("-- tags above 127 and long payloads\n");
	static const ev_uint32_t big_tags[] = {128, 0x3fff, 0x4000, 0xffffffff};
	for (size_t i = 0; i < sizeof big_tags / sizeof big_tags[0]; ++i) {
		evbuffer_drain(buf, evbuffer_get_length(buf));
		evtag_marshal_int(buf, big_tags[i], 0x1234);
		evtag_marshal_string(buf, big_tags[i] + 1, "x");
		dump_hex("two records", buf);
		ev_uint32_t tag = 0, len = 0, value = 0;
		printf("  peek %d", evtag_peek(buf, &tag));
		printf(" tag=%#x peek_length %d", (unsigned)tag, evtag_peek_length(buf, &len));
		printf(" len=%u unmarshal_int %d", (unsigned)len, evtag_unmarshal_int(buf, big_tags[i], &value));
		printf(" value=%#x left=%lu\n", (unsigned)value, (unsigned long)evbuffer_get_length(buf));
		char *s = NULL;
		printf("  unmarshal_string %d", evtag_unmarshal_string(buf, big_tags[i] + 1, &s));
		printf(" %s left=%lu\n", s ? s : "(null)", (unsigned long)evbuffer_get_length(buf));
		free(s);
	}
	evbuffer_drain(buf, evbuffer_get_length(buf));
	char big[300];
	for (size_t i = 0; i < sizeof big; ++i)
		big[i] = (char)i;
	evtag_marshal(buf, 5, big, sizeof big);
	case_dump_sum("300-byte payload", buf);
	{
		/* One call per statement: the order in which a call's arguments
		 * are evaluated is unspecified. */
		ev_uint32_t len = 0;
		int r = evtag_peek_length(buf, &len);
		printf("  peek_length %d %u", r, (unsigned)len);
		r = evtag_payload_length(buf, &len);
		printf(" payload_length %d %u", r, (unsigned)len);
		r = evtag_consume(buf);
		printf(" consume %d left=%lu\n", r, (unsigned long)evbuffer_get_length(buf));
	}
	evbuffer_free(buf);
}

static void nested(void)
{
	printf("-- nested buffers: marshal_buffer, unmarshal\n");
	struct evbuffer *inner = evbuffer_new();
	struct evbuffer *outer = evbuffer_new();
	struct timeval tv = {3, 4};
	evtag_marshal_int(inner, 1, 42);
	evtag_marshal_string(inner, 2, "inner");
	evtag_marshal_timeval(inner, 3, &tv);
	dump_hex("inner", inner);
	evtag_marshal_buffer(outer, 200, inner);
	evtag_marshal_int64(outer, 201, 0x123456789ULL);
	dump_hex("outer", outer);
	printf("inner after marshal_buffer: len=%lu\n", (unsigned long)evbuffer_get_length(inner));

	ev_uint32_t tag = 0;
	int r = evtag_unmarshal(outer, &tag, inner);
	printf("unmarshal: %d tag=%u left=%lu\n", r, (unsigned)tag, (unsigned long)evbuffer_get_length(outer));
	dump_hex("inner again", inner);
	ev_uint32_t value = 0;
	char *s = NULL;
	struct timeval got = {0, 0};
	printf("  int %d", evtag_unmarshal_int(inner, 1, &value));
	printf(" %u string %d", (unsigned)value, evtag_unmarshal_string(inner, 2, &s));
	printf(" %s timeval %d", s ? s : "(null)", evtag_unmarshal_timeval(inner, 3, &got));
	printf(" %ld.%06ld left=%lu\n", (long)got.tv_sec, (long)got.tv_usec,
	    (unsigned long)evbuffer_get_length(inner));
	free(s);
	ev_uint64_t big = 0;
	printf("int64 %d", evtag_unmarshal_int64(outer, 201, &big));
	printf(" %#llx left=%lu\n", (unsigned long long)big, (unsigned long)evbuffer_get_length(outer));
	evbuffer_free(inner);
	evbuffer_free(outer);
}

static void corrupt(void)
{
	printf("-- hand-made input\n");
	static const struct {
		const char *what;
		unsigned char bytes[16];
		size_t n;
	} inputs[] = {
		{"int of 17 nibbles", {0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 10},
		{"int of 9 nibbles", {0x8f, 0xff, 0xff, 0xff, 0xff}, 5},
		{"int of 9 nibbles, the top one 0", {0x80, 0x01, 0x00, 0x00, 0x00}, 5},
		{"record whose length has 9 nibbles", {0x21, 0x80, 0x01, 0x00, 0x00, 0x00, 0x05}, 7},
		{"tag of 6 bytes", {0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00}, 7},
		{"tag with 5th byte 0x10", {0xff, 0xff, 0xff, 0xff, 0x10, 0x00}, 6},
		{"tag with 5th byte 0x0f", {0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x05}, 7},
		{"record, length ff", {0x20, 0xff, 0x01, 0x02}, 4},
		{"int record of 5 bytes", {0x21, 0x05, 0x20, 0x12, 0, 0, 0}, 7},
		{"int record whose int runs past it", {0x21, 0x01, 0x30, 0x12, 0x34}, 5},
		{"timeval record of one int", {0x20, 0x01, 0x05}, 3},
		{"timeval record, extra byte", {0x20, 0x03, 0x05, 0x06, 0x07}, 5},
		{"timeval record whose usec is past it", {0x20, 0x01, 0x05, 0x06}, 4},
		{"timeval record whose sec is past it", {0x20, 0x01, 0x10, 0x05, 0x06}, 5},
		{"timeval record, sec above 2^32", {0x20, 0x06, 0x80, 0, 0, 0, 0x01, 0x00}, 8},
		{"fixed of 4", {0x22, 0x04, 'a', 'b', 'c', 'd'}, 6},
		{"string with NUL", {0x20, 0x03, 'a', 0, 'b'}, 5},
	};
	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; ++i) {
		printf("%s\n", inputs[i].what);
		decode_all(inputs[i].bytes, inputs[i].n);
	}
}

/* As libevent's evtag/fuzz: random bytes are mostly rejected. */
static void fuzz(void)
{
	printf("-- random input\n");
	ev_uint32_t seed = 12345;
	for (int round = 0; round < 200; ++round) {
		unsigned char bytes[12];
		size_t n = 1 + (size_t)(round % (int)sizeof bytes);
		for (size_t i = 0; i < n; ++i) {
			seed = seed * 1103515245u + 12345u;
			bytes[i] = (unsigned char)(seed >> 16);
		}
		/* Small tags and lengths now and then, so that some records parse. */
		if (round % 3 == 0)
			bytes[0] = (unsigned char)(0x20 + round % 3);
		if (round % 2 == 0 && n > 1)
			bytes[1] &= 0x0f;
		printf("round %d:", round);
		for (size_t i = 0; i < n; ++i)
			printf(" %02x", bytes[i]);
		putchar('\n');
		decode_all(bytes, n);
	}
}

int main(void)
{
	case_start();
	evtag_init();
	ints();
	int64s();
	tags();
	records();
	nested();
	corrupt();
	fuzz();
	return 0;
}
