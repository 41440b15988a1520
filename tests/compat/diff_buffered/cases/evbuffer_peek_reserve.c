/* evbuffer_peek (the bytes its vectors cover, not how many vectors: chunking
 * is the implementation's), reserve_space/commit_space (write into the
 * reserved vectors, commit fewer bytes than reserved, commit more), and
 * evbuffer_add_cb / remove_cb / cb_set_flags / cb_clear_flags: the
 * evbuffer_cb_info each callback invocation gets for a sequence of
 * operations, and the order of several callbacks on one buffer. */
#include "diffb_case.h"

#include <event2/buffer.h>
#include <event2/buffer_compat.h>

/* Peeks at len bytes from start (NULL: the beginning) and prints the bytes
 * the vectors cover, up to len. */
static void peek(struct evbuffer *buf, ev_ssize_t len, long start_pos)
{
	struct evbuffer_ptr start;
	struct evbuffer_ptr *sp = NULL;
	if (start_pos >= 0) {
		if (evbuffer_ptr_set(buf, &start, (size_t)start_pos, EVBUFFER_PTR_SET) != 0) {
			printf("peek: ptr_set %ld failed\n", start_pos);
			return;
		}
		sp = &start;
	}
	int needed = evbuffer_peek(buf, len, sp, NULL, 0);
	struct evbuffer_iovec v[16];
	int got = evbuffer_peek(buf, len, sp, v, 16);
	size_t covered = 0;
	char text[256];
	size_t tn = 0;
	for (int i = 0; i < got && i < 16; ++i) {
		covered += v[i].iov_len;
		for (size_t j = 0; j < v[i].iov_len && tn < sizeof text; ++j)
			text[tn++] = ((const char *)v[i].iov_base)[j];
	}
	size_t want = len < 0 ? evbuffer_get_length(buf) - (size_t)(start_pos < 0 ? 0 : start_pos) : (size_t)len;
	if (want > tn)
		want = tn;
	printf("peek len=%ld from %ld: needed>0:%d same count:%d covered>=want:%d first %lu bytes ", (long)len,
	       start_pos, needed > 0, needed == got, covered >= want, (unsigned long)want);
	case_print_bytes(text, want);
	if (len < 0)
		printf(" covered=%lu", (unsigned long)covered);
	printf("\n");
}

/* Fills the reserved vectors with letters from 'A' and returns how many
 * bytes they hold in all. */
static size_t fill(struct evbuffer_iovec *v, int n)
{
	size_t total = 0;
	for (int i = 0; i < n; ++i) {
		for (size_t j = 0; j < v[i].iov_len; ++j)
			((char *)v[i].iov_base)[j] = (char)('A' + (total + j) % 26);
		total += v[i].iov_len;
	}
	return total;
}

static const char *cb_names[3] = {"cb0", "cb1", "cb2"};

static void on_change(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	printf("    %s: orig_size=%lu n_added=%lu n_deleted=%lu len now=%lu\n", (const char *)arg,
	       (unsigned long)info->orig_size, (unsigned long)info->n_added, (unsigned long)info->n_deleted,
	       (unsigned long)evbuffer_get_length(buf));
}

static void on_legacy(struct evbuffer *buf, size_t old_len, size_t new_len, void *arg)
{
	(void)buf;
	printf("    legacy %s: old=%lu new=%lu\n", (const char *)arg, (unsigned long)old_len, (unsigned long)new_len);
}

int main(void)
{
	case_start();
	struct evbuffer *buf = evbuffer_new();
	struct evbuffer_iovec v[4];
	int n;

	printf("-- peek\n");
	peek(buf, -1, -1);
	evbuffer_add(buf, "hello ", 6);
	evbuffer_add_reference(buf, "brave ", 6, NULL, NULL);
	evbuffer_add(buf, "new ", 4);
	evbuffer_add_reference(buf, "world", 5, NULL, NULL);
	peek(buf, -1, -1);
	peek(buf, 3, -1);
	peek(buf, 8, -1);
	peek(buf, 0, -1);
	peek(buf, 100, -1);
	peek(buf, -1, 4);
	peek(buf, 5, 9);
	peek(buf, -1, 21);
	evbuffer_drain(buf, 2);
	peek(buf, -1, -1);
	evbuffer_drain(buf, evbuffer_get_length(buf));

	printf("-- reserve_space / commit_space\n");
	n = evbuffer_reserve_space(buf, 10, v, 1);
	printf("reserve 10 into 1 vector: %d, iov_len>=10:%d\n", n, n == 1 && v[0].iov_len >= 10);
	fill(v, n);
	v[0].iov_len = 4;
	printf("commit 4 of them: %d\n", evbuffer_commit_space(buf, v, 1));
	case_dump("buffer", buf);
	printf("commit again after committing: %d\n", evbuffer_commit_space(buf, v, 1));
	case_dump("buffer", buf);

	n = evbuffer_reserve_space(buf, 8, v, 2);
	printf("reserve 8 into up to 2 vectors: in 1..2:%d\n", n >= 1 && n <= 2);
	size_t space = fill(v, n);
	printf("space>=8:%d\n", space >= 8);
	/* Commit exactly 8 bytes, cut from the vectors in order. */
	size_t want = 8;
	int used = 0;
	for (int i = 0; i < n && want > 0; ++i) {
		if (v[i].iov_len > want)
			v[i].iov_len = want;
		want -= v[i].iov_len;
		used = i + 1;
	}
	printf("commit 8: %d\n", evbuffer_commit_space(buf, v, used));
	case_dump("buffer", buf);

	n = evbuffer_reserve_space(buf, 16, v, 1);
	fill(v, n);
	v[0].iov_len = v[0].iov_len + 1;
	printf("commit one byte more than reserved: %d\n", evbuffer_commit_space(buf, v, 1));
	case_dump("buffer", buf);
	n = evbuffer_reserve_space(buf, 16, v, 1);
	printf("commit 0 vectors: %d\n", evbuffer_commit_space(buf, v, 0));
	case_dump("buffer", buf);
	printf("reserve 0: %d\n", evbuffer_reserve_space(buf, 0, v, 1));
	n = evbuffer_reserve_space(buf, 4096, v, 1);
	printf("reserve 4096 into 1 vector: %d, iov_len>=4096:%d\n", n, n == 1 && v[0].iov_len >= 4096);
	fill(v, n);
	v[0].iov_len = 3000;
	printf("commit 3000: %d\n", evbuffer_commit_space(buf, v, 1));
	case_dump_sum("buffer", buf);
	evbuffer_drain(buf, evbuffer_get_length(buf));
	evbuffer_freeze(buf, 0);
	printf("freeze the end, reserve: %d\n", evbuffer_reserve_space(buf, 4, v, 1));
	evbuffer_unfreeze(buf, 0);
	evbuffer_free(buf);

	printf("-- callbacks\n");
	buf = evbuffer_new();
	struct evbuffer *other = evbuffer_new();
	struct evbuffer_cb_entry *e0 = evbuffer_add_cb(buf, on_change, (void *)cb_names[0]);
	printf("add_cb: %s\n", e0 ? "entry" : "NULL");
	printf("add 10\n");
	evbuffer_add(buf, "0123456789", 10);
	printf("add 0\n");
	evbuffer_add(buf, "", 0);
	printf("prepend 3\n");
	evbuffer_prepend(buf, "abc", 3);
	printf("drain 4\n");
	evbuffer_drain(buf, 4);
	printf("drain 0\n");
	evbuffer_drain(buf, 0);
	char out[64];
	printf("remove 2\n");
	evbuffer_remove(buf, out, 2);
	printf("copyout 2\n");
	evbuffer_copyout(buf, out, 2);
	printf("add_printf\n");
	evbuffer_add_printf(buf, "<%d>", 12345);
	printf("pullup -1\n");
	evbuffer_pullup(buf, -1);
	printf("expand 1000\n");
	evbuffer_expand(buf, 1000);
	struct evbuffer_cb_entry *e1 = evbuffer_add_cb(buf, on_change, (void *)cb_names[1]);
	struct evbuffer_cb_entry *eo = evbuffer_add_cb(other, on_change, "other");
	printf("two callbacks on buf, one on other\n");
	evbuffer_add(other, "OTHER", 5);
	printf("add_buffer(buf, other)\n");
	evbuffer_add_buffer(buf, other);
	printf("remove_buffer(buf, other, 6)\n");
	evbuffer_remove_buffer(buf, other, 6);
	printf("prepend_buffer(buf, other)\n");
	evbuffer_prepend_buffer(buf, other);
	printf("add_buffer from an empty buffer\n");
	evbuffer_add_buffer(buf, other);
	printf("reserve 5 and commit 5\n");
	n = evbuffer_reserve_space(buf, 5, v, 1);
	fill(v, n);
	v[0].iov_len = 5;
	evbuffer_commit_space(buf, v, 1);
	printf("reserve without commit\n");
	evbuffer_reserve_space(buf, 5, v, 1);
	printf("add \"x\\r\\ny\\n\", readln CRLF\n");
	evbuffer_add(buf, "x\r\ny\n", 5);
	free(evbuffer_readln(buf, NULL, EVBUFFER_EOL_CRLF));
	case_dump("buffer", buf);
	printf("search (no change)\n");
	evbuffer_search(buf, "y", 1, NULL);
	printf("clear ENABLED on cb0: %d\n", evbuffer_cb_clear_flags(buf, e0, EVBUFFER_CB_ENABLED));
	printf("add_reference 4\n");
	evbuffer_add_reference(buf, "refs", 4, NULL, NULL);
	printf("set ENABLED on cb0: %d\n", evbuffer_cb_set_flags(buf, e0, EVBUFFER_CB_ENABLED));
	printf("drain 3\n");
	evbuffer_drain(buf, 3);
	printf("remove_cb_entry cb1: %d\n", evbuffer_remove_cb_entry(buf, e1));
	printf("remove_cb cb1 again (by function and argument): %d\n",
	       evbuffer_remove_cb(buf, on_change, (void *)cb_names[1]));
	printf("add 1\n");
	evbuffer_add(buf, "!", 1);
	struct evbuffer_cb_entry *e2 = evbuffer_add_cb(buf, on_change, (void *)cb_names[2]);
	(void)e2;
	printf("remove_cb cb0 (by function and argument): %d\n",
	       evbuffer_remove_cb(buf, on_change, (void *)cb_names[0]));
	printf("drain everything\n");
	evbuffer_drain(buf, evbuffer_get_length(buf));
	printf("freeze the end, add\n");
	evbuffer_freeze(buf, 0);
	evbuffer_add(buf, "no", 2);
	evbuffer_unfreeze(buf, 0);
	printf("legacy evbuffer_setcb\n");
	evbuffer_setcb(buf, on_legacy, "L");
	evbuffer_add(buf, "abc", 3);
	evbuffer_drain(buf, 1);
	printf("setcb NULL\n");
	evbuffer_setcb(buf, NULL, NULL);
	evbuffer_add(buf, "d", 1);
	printf("remove the other's callback: %d\n", evbuffer_remove_cb_entry(other, eo));
	evbuffer_add(other, "silent", 6);
	printf("free\n");
	evbuffer_free(buf);
	evbuffer_free(other);
	printf("done\n");
	return 0;
}
