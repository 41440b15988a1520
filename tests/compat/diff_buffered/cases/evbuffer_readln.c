/* evbuffer_readln with every EOL style (the line and n_read_out), lines
 * split across separately added pieces, a last line without a terminator
 * (not returned, left in the buffer), empty lines, "\r" at the end of the
 * buffer (where ANY and CRLF may wait for a "\n"), NUL bytes inside lines;
 * the legacy evbuffer_readline (any of \r, \n, \r\n, \n\r). */
#include "diffb_case.h"

#include <event2/buffer.h>
#include <event2/buffer_compat.h>

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

/* Reads lines until readln returns NULL; prints each and what is left.
 * n_read_out starts at 12345 so that leaving it untouched shows. */
static void read_all(struct evbuffer *buf, enum evbuffer_eol_style style)
{
	for (;;) {
		size_t n = 12345;
		char *line = evbuffer_readln(buf, &n, style);
		if (line == NULL) {
			printf("  %s: NULL n_read_out=%lu", eol_name(style), (unsigned long)n);
			printf(", left len=%lu\n", (unsigned long)evbuffer_get_length(buf));
			return;
		}
		printf("  %s: n=%lu strlen=%lu ", eol_name(style), (unsigned long)n, (unsigned long)strlen(line));
		case_print_bytes(line, n);
		printf(" terminated=%d\n", line[n] == '\0');
		free(line);
	}
}

static void each_style(const char *text, size_t len)
{
	static const enum evbuffer_eol_style styles[] = {EVBUFFER_EOL_ANY, EVBUFFER_EOL_CRLF,
	                                                  EVBUFFER_EOL_CRLF_STRICT, EVBUFFER_EOL_LF,
	                                                  EVBUFFER_EOL_NUL};
	printf("text ");
	case_print_bytes(text, len);
	printf("\n");
	for (size_t i = 0; i < sizeof styles / sizeof styles[0]; ++i) {
		struct evbuffer *buf = evbuffer_new();
		evbuffer_add(buf, text, len);
		read_all(buf, styles[i]);
		case_dump("    left", buf);
		evbuffer_free(buf);
	}
}

/* The same text added in pieces of `step` bytes. */
static void each_style_split(const char *text, size_t len, size_t step, int as_reference)
{
	static const enum evbuffer_eol_style styles[] = {EVBUFFER_EOL_ANY, EVBUFFER_EOL_CRLF,
	                                                  EVBUFFER_EOL_CRLF_STRICT, EVBUFFER_EOL_LF,
	                                                  EVBUFFER_EOL_NUL};
	printf("text in %s pieces of %lu ", as_reference ? "reference" : "added", (unsigned long)step);
	case_print_bytes(text, len);
	printf("\n");
	for (size_t i = 0; i < sizeof styles / sizeof styles[0]; ++i) {
		struct evbuffer *buf = evbuffer_new();
		for (size_t off = 0; off < len; off += step) {
			size_t n = len - off < step ? len - off : step;
			if (as_reference)
				evbuffer_add_reference(buf, text + off, n, NULL, NULL);
			else
				evbuffer_add(buf, text + off, n);
		}
		read_all(buf, styles[i]);
		case_dump("    left", buf);
		evbuffer_free(buf);
	}
}

int main(void)
{
	case_start();
	static const char mixed[] = "a\nb\r\nc\rd\n\re\r\r\nf\0g\n\nh";
	static const char crlf[] = "GET / HTTP/1.0\r\nHost: x\r\n\r\nbody";
	static const char empties[] = "\n\n\r\n\r\n\0\0";

	printf("-- one piece\n");
	each_style(mixed, sizeof mixed - 1);
	each_style(crlf, sizeof crlf - 1);
	each_style(empties, sizeof empties - 1);
	each_style("no terminator", 13);
	each_style("", 0);
	each_style("ends with cr\r", 13);
	each_style("ends with crlf\r\n", 16);

	printf("-- pieces\n");
	each_style_split(mixed, sizeof mixed - 1, 1, 0);
	each_style_split(mixed, sizeof mixed - 1, 3, 0);
	each_style_split(crlf, sizeof crlf - 1, 5, 1);
	each_style_split(empties, sizeof empties - 1, 1, 1);

	printf("-- \\r at the end, then the \\n arrives\n");
	{
		static const enum evbuffer_eol_style styles[] = {EVBUFFER_EOL_ANY, EVBUFFER_EOL_CRLF,
		                                                  EVBUFFER_EOL_CRLF_STRICT};
		for (size_t i = 0; i < sizeof styles / sizeof styles[0]; ++i) {
			struct evbuffer *buf = evbuffer_new();
			evbuffer_add(buf, "line\r", 5);
			read_all(buf, styles[i]);
			case_dump("    left", buf);
			evbuffer_add(buf, "\nnext\r\n", 7);
			read_all(buf, styles[i]);
			case_dump("    left", buf);
			evbuffer_free(buf);
		}
	}

	printf("-- readln with n_read_out NULL\n");
	{
		struct evbuffer *buf = evbuffer_new();
		evbuffer_add(buf, "one\ntwo\n", 8);
		char *line = evbuffer_readln(buf, NULL, EVBUFFER_EOL_LF);
		printf("line: %s\n", line ? line : "NULL");
		free(line);
		case_dump("left", buf);
		evbuffer_free(buf);
	}

	printf("-- legacy evbuffer_readline\n");
	{
		struct evbuffer *buf = evbuffer_new();
		evbuffer_add(buf, mixed, sizeof mixed - 1);
		evbuffer_add(buf, "\n", 1);
		for (;;) {
			char *line = evbuffer_readline(buf);
			if (line == NULL) {
				printf("readline: NULL\n");
				break;
			}
			printf("readline: strlen=%lu ", (unsigned long)strlen(line));
			case_print_bytes(line, strlen(line));
			printf("\n");
			free(line);
		}
		case_dump("left", buf);
		evbuffer_free(buf);
	}
	printf("done\n");
	return 0;
}
