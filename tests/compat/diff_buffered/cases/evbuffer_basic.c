/* evbuffer basics: new/free, get_length, add, add_printf, add_vprintf,
 * prepend, remove, copyout, drain (also more than the length), pullup
 * (partial, whole, -1, more than the length), expand,
 * get_contiguous_space after one add and after pulling everything up,
 * add_buffer (moves: the source is empty afterwards), remove_buffer
 * (partial), add_reference with a cleanup callback (when it runs), freeze and
 * unfreeze of either end, enable_locking's result.
 * Contiguous space is printed only where its value is documented (the first
 * add into an empty buffer, after a pullup of everything). */
#include "diffb_case.h"

#include <stdarg.h>

#include <event2/buffer.h>
#include <event2/event.h>

static int add_vprintf_wrapper(struct evbuffer *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add_vprintf_wrapper(struct evbuffer *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = evbuffer_add_vprintf(buf, fmt, ap);
	va_end(ap);
	return r;
}

static void on_cleanup(const void *data, size_t len, void *arg)
{
	printf("  cleanup(%s): len=%lu data ", (const char *)arg, (unsigned long)len);
	case_print_bytes(data, len);
	printf("\n");
}

static void print_pullup(struct evbuffer *buf, ev_ssize_t size)
{
	unsigned char *p = evbuffer_pullup(buf, size);
	printf("pullup(%ld): %s", (long)size, p ? "data " : "NULL");
	if (p) {
		size_t n = size < 0 ? evbuffer_get_length(buf) : (size_t)size;
		case_print_bytes(p, n);
	}
	printf(", len=%lu\n", (unsigned long)evbuffer_get_length(buf));
}

int main(void)
{
	case_start();
	char out[64];

	printf("-- add, printf, prepend, remove, copyout, drain\n");
	struct evbuffer *buf = evbuffer_new();
	printf("new: %s\n", buf ? "ok" : "NULL");
	printf("length of a new buffer: %lu\n", (unsigned long)evbuffer_get_length(buf));
	printf("contiguous space of a new buffer: %lu\n", (unsigned long)evbuffer_get_contiguous_space(buf));
	printf("add \"hello\": %d\n", evbuffer_add(buf, "hello", 5));
	printf("contiguous space after one add: %lu\n", (unsigned long)evbuffer_get_contiguous_space(buf));
	printf("add 0 bytes: %d\n", evbuffer_add(buf, "", 0));
	printf("add_printf: %d\n", evbuffer_add_printf(buf, " %d-%s-%c", 42, "x", 'y'));
	printf("add_vprintf: %d\n", add_vprintf_wrapper(buf, "[%05u|%-3s]", 7u, "ab"));
	printf("add_printf empty: %d\n", evbuffer_add_printf(buf, "%s", ""));
	printf("prepend \"<<\": %d\n", evbuffer_prepend(buf, "<<", 2));
	printf("add with NUL: %d\n", evbuffer_add(buf, "a\0b\n", 4));
	case_dump("buffer", buf);

	memset(out, 0, sizeof out);
	printf("remove 4: %d -> ", evbuffer_remove(buf, out, 4));
	case_print_bytes(out, 4);
	printf("\n");
	memset(out, 0, sizeof out);
	printf("copyout 5: %ld -> ", (long)evbuffer_copyout(buf, out, 5));
	case_print_bytes(out, 5);
	printf(", len=%lu\n", (unsigned long)evbuffer_get_length(buf));
	printf("copyout 0: %ld\n", (long)evbuffer_copyout(buf, out, 0));
	printf("drain 2: %d\n", evbuffer_drain(buf, 2));
	case_dump("buffer", buf);
	memset(out, 0, sizeof out);
	size_t left = evbuffer_get_length(buf);
	printf("copyout 64 (more than the length): %ld -> ", (long)evbuffer_copyout(buf, out, sizeof out));
	case_print_bytes(out, left);
	printf("\n");
	memset(out, 0, sizeof out);
	printf("remove 64 (more than the length): %d -> ", evbuffer_remove(buf, out, sizeof out));
	case_print_bytes(out, left);
	printf(", len=%lu\n", (unsigned long)evbuffer_get_length(buf));
	printf("remove from empty: %d\n", evbuffer_remove(buf, out, 4));
	printf("add \"xyz\": %d\n", evbuffer_add(buf, "xyz", 3));
	printf("drain 100 (more than the length): %d", evbuffer_drain(buf, 100));
	printf(", len=%lu\n", (unsigned long)evbuffer_get_length(buf));
	printf("drain empty: %d\n", evbuffer_drain(buf, 1));
	printf("prepend into an empty buffer: %d\n", evbuffer_prepend(buf, "P", 1));
	case_dump("buffer", buf);
	evbuffer_free(buf);

	printf("-- pullup\n");
	buf = evbuffer_new();
	evbuffer_add(buf, "abc", 3);
	evbuffer_add(buf, "defg", 4);
	evbuffer_add_reference(buf, "hij", 3, NULL, NULL);
	evbuffer_add(buf, "klmno", 5);
	case_dump("buffer", buf);
	print_pullup(buf, 2);
	print_pullup(buf, 5);
	print_pullup(buf, 0);
	print_pullup(buf, 16);
	print_pullup(buf, 15);
	printf("contiguous space after pullup of everything: %lu\n",
	       (unsigned long)evbuffer_get_contiguous_space(buf));
	evbuffer_add(buf, "pq", 2);
	print_pullup(buf, -1);
	printf("contiguous space after pullup(-1): %lu\n", (unsigned long)evbuffer_get_contiguous_space(buf));
	evbuffer_drain(buf, evbuffer_get_length(buf));
	print_pullup(buf, -1);
	print_pullup(buf, 1);
	evbuffer_free(buf);

	printf("-- expand\n");
	buf = evbuffer_new();
	printf("expand 100 on empty: %d", evbuffer_expand(buf, 100));
	printf(", len=%lu\n", (unsigned long)evbuffer_get_length(buf));
	evbuffer_add(buf, "data", 4);
	printf("expand 10000: %d", evbuffer_expand(buf, 10000));
	printf(", len=%lu\n", (unsigned long)evbuffer_get_length(buf));
	printf("expand 0: %d\n", evbuffer_expand(buf, 0));
	printf("add 5000 'z': ");
	char big[5000];
	memset(big, 'z', sizeof big);
	printf("%d\n", evbuffer_add(buf, big, sizeof big));
	case_dump_sum("buffer", buf);
	evbuffer_free(buf);

	printf("-- add_buffer, remove_buffer\n");
	struct evbuffer *src = evbuffer_new();
	struct evbuffer *dst = evbuffer_new();
	evbuffer_add(src, "one", 3);
	evbuffer_add(src, "two", 3);
	evbuffer_add(dst, "dst:", 4);
	printf("add_buffer: %d\n", evbuffer_add_buffer(dst, src));
	case_dump("dst", dst);
	case_dump("src", src);
	printf("add_buffer from empty: %d\n", evbuffer_add_buffer(dst, src));
	case_dump("dst", dst);
	printf("add_buffer into empty: %d\n", evbuffer_add_buffer(src, dst));
	case_dump("src", src);
	case_dump("dst", dst);
	printf("remove_buffer 5: %d\n", evbuffer_remove_buffer(src, dst, 5));
	case_dump("src", src);
	case_dump("dst", dst);
	printf("remove_buffer 0: %d\n", evbuffer_remove_buffer(src, dst, 0));
	printf("remove_buffer 100: %d\n", evbuffer_remove_buffer(src, dst, 100));
	case_dump("src", src);
	case_dump("dst", dst);
	printf("remove_buffer from empty: %d\n", evbuffer_remove_buffer(src, dst, 3));
	printf("prepend_buffer: ");
	evbuffer_add(src, "pre-", 4);
	printf("%d\n", evbuffer_prepend_buffer(dst, src));
	case_dump("dst", dst);
	case_dump("src", src);
	evbuffer_free(src);
	evbuffer_free(dst);

	printf("-- add_reference\n");
	buf = evbuffer_new();
	static const char ref1[] = "REFERENCE";
	static const char ref2[] = "second";
	static const char ref3[] = "third";
	printf("add \"<\": %d\n", evbuffer_add(buf, "<", 1));
	printf("add_reference: %d\n", evbuffer_add_reference(buf, ref1, 9, on_cleanup, "ref1"));
	printf("add \">\": %d\n", evbuffer_add(buf, ">", 1));
	case_dump("buffer", buf);
	printf("drain 4 (into the reference)\n");
	evbuffer_drain(buf, 4);
	case_dump("buffer", buf);
	printf("drain 6 (the rest of the reference)\n");
	evbuffer_drain(buf, 6);
	printf("after drain\n");
	case_dump("buffer", buf);
	printf("add_reference with a cleanup, then remove across it\n");
	evbuffer_add_reference(buf, ref2, 6, on_cleanup, "ref2");
	evbuffer_add(buf, "!", 1);
	memset(out, 0, sizeof out);
	printf("remove 5: %d\n", evbuffer_remove(buf, out, 5));
	printf("remove 2: %d\n", evbuffer_remove(buf, out, 2));
	printf("after remove\n");
	case_dump("buffer", buf);
	printf("add_reference then add_buffer into another buffer\n");
	evbuffer_add_reference(buf, ref3, 5, on_cleanup, "ref3");
	struct evbuffer *other = evbuffer_new();
	printf("add_buffer: %d\n", evbuffer_add_buffer(other, buf));
	case_dump("other", other);
	printf("free the other buffer\n");
	evbuffer_free(other);
	printf("after free\n");
	printf("add_reference then free\n");
	evbuffer_add_reference(buf, ref1, 3, on_cleanup, "ref1 again");
	evbuffer_add_reference(buf, ref2, 0, on_cleanup, "empty reference");
	case_dump("buffer", buf);
	evbuffer_free(buf);
	printf("after free\n");

	printf("-- freeze\n");
	buf = evbuffer_new();
	evbuffer_add(buf, "frozen", 6);
	printf("freeze end: %d\n", evbuffer_freeze(buf, 0));
	printf("add to the frozen end: %d\n", evbuffer_add(buf, "x", 1));
	printf("add_printf to the frozen end: %d\n", evbuffer_add_printf(buf, "%d", 1));
	printf("prepend at the open start: %d\n", evbuffer_prepend(buf, "<", 1));
	printf("drain at the open start: %d\n", evbuffer_drain(buf, 1));
	printf("remove at the open start: %d\n", evbuffer_remove(buf, out, 1));
	case_dump("buffer", buf);
	printf("unfreeze end: %d\n", evbuffer_unfreeze(buf, 0));
	printf("add: %d\n", evbuffer_add(buf, "+", 1));
	printf("freeze start: %d\n", evbuffer_freeze(buf, 1));
	printf("drain the frozen start: %d\n", evbuffer_drain(buf, 1));
	printf("remove from the frozen start: %d\n", evbuffer_remove(buf, out, 1));
	printf("prepend to the frozen start: %d\n", evbuffer_prepend(buf, "<", 1));
	printf("add at the open end: %d\n", evbuffer_add(buf, "!", 1));
	printf("copyout from the frozen start: %ld\n", (long)evbuffer_copyout(buf, out, 3));
	case_dump("buffer", buf);
	struct evbuffer *open_buf = evbuffer_new();
	evbuffer_add(open_buf, "moved", 5);
	printf("add_buffer into a start-frozen buffer: %d\n", evbuffer_add_buffer(buf, open_buf));
	printf("add_buffer out of a start-frozen buffer: %d\n", evbuffer_add_buffer(open_buf, buf));
	printf("remove_buffer out of a start-frozen buffer: %d\n", evbuffer_remove_buffer(buf, open_buf, 2));
	case_dump("buffer", buf);
	case_dump("open", open_buf);
	printf("unfreeze start: %d\n", evbuffer_unfreeze(buf, 1));
	printf("drain: %d\n", evbuffer_drain(buf, 1));
	case_dump("buffer", buf);
	evbuffer_free(open_buf);

	printf("-- locking\n");
	printf("enable_locking(NULL) without a threading library: %d\n", evbuffer_enable_locking(buf, NULL));
	evbuffer_lock(buf);
	evbuffer_unlock(buf);
	printf("lock/unlock: done\n");
	evbuffer_free(buf);
	printf("done\n");
	return 0;
}
