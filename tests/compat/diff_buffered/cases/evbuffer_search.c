/* evbuffer_search, evbuffer_search_range, evbuffer_ptr_set (SET, ADD, out of
 * range), matches that span the boundary between separately added pieces
 * (plain adds and add_reference pieces), evbuffer_search_eol with every EOL
 * style. Positions are printed, never pointers. */
#include "diffb_case.h"

#include <event2/buffer.h>

static void print_ptr(const char *label, struct evbuffer_ptr p)
{
	printf("%s: pos=%ld\n", label, (long)p.pos);
}

static void search(struct evbuffer *buf, const char *what, const struct evbuffer_ptr *start)
{
	struct evbuffer_ptr p = evbuffer_search(buf, what, strlen(what), start);
	printf("search ");
	case_print_bytes(what, strlen(what));
	if (start)
		printf(" from %ld", (long)start->pos);
	printf(": pos=%ld\n", (long)p.pos);
}

static void search_range(struct evbuffer *buf, const char *what, const struct evbuffer_ptr *start,
                         const struct evbuffer_ptr *end)
{
	struct evbuffer_ptr p = evbuffer_search_range(buf, what, strlen(what), start, end);
	printf("search_range ");
	case_print_bytes(what, strlen(what));
	printf(" [%ld, %ld): pos=%ld\n", start ? (long)start->pos : -2L, end ? (long)end->pos : -2L, (long)p.pos);
}

static void all_matches(struct evbuffer *buf, const char *what)
{
	struct evbuffer_ptr p = evbuffer_search(buf, what, strlen(what), NULL);
	printf("all matches of ");
	case_print_bytes(what, strlen(what));
	printf(":");
	while (p.pos != -1) {
		printf(" %ld", (long)p.pos);
		if (evbuffer_ptr_set(buf, &p, 1, EVBUFFER_PTR_ADD) < 0)
			break;
		p = evbuffer_search(buf, what, strlen(what), &p);
	}
	printf("\n");
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

static void search_eols(struct evbuffer *buf, const struct evbuffer_ptr *start)
{
	static const enum evbuffer_eol_style styles[] = {EVBUFFER_EOL_ANY, EVBUFFER_EOL_CRLF,
	                                                  EVBUFFER_EOL_CRLF_STRICT, EVBUFFER_EOL_LF,
	                                                  EVBUFFER_EOL_NUL};
	for (size_t i = 0; i < sizeof styles / sizeof styles[0]; ++i) {
		size_t eol_len = 12345;
		struct evbuffer_ptr p = evbuffer_search_eol(buf, (struct evbuffer_ptr *)start, &eol_len, styles[i]);
		printf("  search_eol %-11s", eol_name(styles[i]));
		if (start)
			printf(" from %ld", (long)start->pos);
		printf(": pos=%ld eol_len=%lu\n", (long)p.pos, p.pos < 0 ? 0UL : (unsigned long)eol_len);
	}
}

int main(void)
{
	case_start();
	struct evbuffer_ptr p, q;

	printf("-- search in one piece\n");
	struct evbuffer *buf = evbuffer_new();
	evbuffer_add(buf, "the quick brown fox jumps over the lazy dog", 43);
	search(buf, "the", NULL);
	search(buf, "dog", NULL);
	search(buf, "cat", NULL);
	search(buf, "g", NULL);
	search(buf, "the quick brown fox jumps over the lazy dog", NULL);
	search(buf, "the quick brown fox jumps over the lazy dog!", NULL);
	all_matches(buf, "o");
	all_matches(buf, "the");

	printf("-- evbuffer_ptr_set\n");
	printf("ptr_set SET 4: %d\n", evbuffer_ptr_set(buf, &p, 4, EVBUFFER_PTR_SET));
	print_ptr("p", p);
	search(buf, "the", &p);
	search(buf, "quick", &p);
	printf("ptr_set ADD 6: %d\n", evbuffer_ptr_set(buf, &p, 6, EVBUFFER_PTR_ADD));
	print_ptr("p", p);
	search(buf, "o", &p);
	printf("ptr_set SET 43 (the length): %d\n", evbuffer_ptr_set(buf, &q, 43, EVBUFFER_PTR_SET));
	print_ptr("q", q);
	search(buf, "g", &q);
	printf("ptr_set SET 44 (past the end): %d\n", evbuffer_ptr_set(buf, &q, 44, EVBUFFER_PTR_SET));
	print_ptr("q", q);
	printf("ptr_set SET 42: %d\n", evbuffer_ptr_set(buf, &q, 42, EVBUFFER_PTR_SET));
	printf("ptr_set ADD 1 (to the length): %d\n", evbuffer_ptr_set(buf, &q, 1, EVBUFFER_PTR_ADD));
	print_ptr("q", q);
	printf("ptr_set ADD 1 (past the end): %d\n", evbuffer_ptr_set(buf, &q, 1, EVBUFFER_PTR_ADD));
	print_ptr("q", q);
	printf("ptr_set SET 0: %d\n", evbuffer_ptr_set(buf, &q, 0, EVBUFFER_PTR_SET));
	printf("ptr_set ADD 100: %d\n", evbuffer_ptr_set(buf, &q, 100, EVBUFFER_PTR_ADD));
	print_ptr("q", q);

	printf("-- search_range\n");
	evbuffer_ptr_set(buf, &p, 4, EVBUFFER_PTR_SET);
	evbuffer_ptr_set(buf, &q, 20, EVBUFFER_PTR_SET);
	search_range(buf, "o", &p, &q);
	search_range(buf, "fox", &p, &q);
	search_range(buf, "jumps", &p, &q);
	search_range(buf, "fox j", &p, &q);
	search_range(buf, "fox ", &p, &q);
	search_range(buf, "the", &p, &q);
	search_range(buf, "the", NULL, &q);
	search_range(buf, "dog", &p, NULL);
	search_range(buf, "the", NULL, NULL);
	evbuffer_ptr_set(buf, &q, 4, EVBUFFER_PTR_SET);
	search_range(buf, "quick", &p, &q);
	search_range(buf, "q", &p, &q);
	evbuffer_free(buf);

	printf("-- a match across separately added pieces\n");
	buf = evbuffer_new();
	evbuffer_add(buf, "abc", 3);
	evbuffer_add(buf, "def", 3);
	search(buf, "cd", NULL);
	search(buf, "abcdef", NULL);
	search(buf, "f", NULL);
	search(buf, "cdx", NULL);
	evbuffer_ptr_set(buf, &p, 3, EVBUFFER_PTR_SET);
	search(buf, "def", &p);
	evbuffer_ptr_set(buf, &q, 5, EVBUFFER_PTR_SET);
	evbuffer_ptr_set(buf, &p, 1, EVBUFFER_PTR_SET);
	search_range(buf, "cde", &p, &q);
	search_range(buf, "cd", &p, &q);
	evbuffer_free(buf);

	printf("-- a match across reference pieces\n");
	buf = evbuffer_new();
	evbuffer_add_reference(buf, "xxab", 4, NULL, NULL);
	evbuffer_add_reference(buf, "c", 1, NULL, NULL);
	evbuffer_add(buf, "dexx", 4);
	evbuffer_add_reference(buf, "abcd", 4, NULL, NULL);
	evbuffer_add_reference(buf, "e", 1, NULL, NULL);
	case_dump("buffer", buf);
	all_matches(buf, "abcde");
	all_matches(buf, "x");
	all_matches(buf, "bc");
	all_matches(buf, "ed");
	evbuffer_ptr_set(buf, &p, 3, EVBUFFER_PTR_SET);
	evbuffer_ptr_set(buf, &p, 2, EVBUFFER_PTR_ADD);
	print_ptr("p after SET 3, ADD 2", p);
	search(buf, "abcde", &p);
	printf("drain 2, then search again\n");
	evbuffer_drain(buf, 2);
	all_matches(buf, "abcde");
	all_matches(buf, "xa");
	evbuffer_free(buf);

	printf("-- search in an empty buffer\n");
	buf = evbuffer_new();
	search(buf, "a", NULL);
	printf("ptr_set SET 0 on empty: %d\n", evbuffer_ptr_set(buf, &p, 0, EVBUFFER_PTR_SET));
	printf("ptr_set SET 1 on empty: %d\n", evbuffer_ptr_set(buf, &p, 1, EVBUFFER_PTR_SET));
	search_eols(buf, NULL);

	printf("-- search_eol\n");
	static const struct {
		const char *text;
		size_t len;
	} texts[] = {
		{"no eol at all", 13},
		{"lf\nrest", 7},
		{"crlf\r\nrest", 10},
		{"cr\rrest", 7},
		{"lfcr\n\rrest", 10},
		{"crcrlf\r\r\nrest", 13},
		{"nul\0rest", 8},
		{"\n", 1},
		{"\r", 1},
		{"\r\n\r\n", 4},
		{"end\r", 4},
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; ++i) {
		evbuffer_drain(buf, evbuffer_get_length(buf));
		evbuffer_add(buf, texts[i].text, texts[i].len);
		case_dump("buffer", buf);
		search_eols(buf, NULL);
	}
	printf("-- search_eol from a position, pieces split at the eol\n");
	evbuffer_drain(buf, evbuffer_get_length(buf));
	evbuffer_add(buf, "a\r", 2);
	evbuffer_add(buf, "\nb\n", 3);
	evbuffer_add(buf, "c\r", 2);
	evbuffer_add_reference(buf, "\n", 1, NULL, NULL);
	evbuffer_add(buf, "\0z", 2);
	case_dump("buffer", buf);
	search_eols(buf, NULL);
	evbuffer_ptr_set(buf, &p, 2, EVBUFFER_PTR_SET);
	search_eols(buf, &p);
	evbuffer_ptr_set(buf, &p, 4, EVBUFFER_PTR_SET);
	search_eols(buf, &p);
	evbuffer_ptr_set(buf, &p, 6, EVBUFFER_PTR_SET);
	search_eols(buf, &p);
	evbuffer_ptr_set(buf, &p, 9, EVBUFFER_PTR_SET);
	search_eols(buf, &p);
	evbuffer_free(buf);
	printf("done\n");
	return 0;
}
