/* event_set_mem_functions, called first: the base, a config and the
 * events from event_new come from the program's allocator (each block
 * carries a guard before it) and go back to its free function; a loop
 * with them runs as usual. */
#include "diff_case.h"

#include <string.h>

#include <event2/event.h>

static const char guard[16] = "{[<guarded!!>]}";

static void *guarded_malloc(size_t n)
{
	char *p = malloc(n + 16);
	if (p == NULL)
		return NULL;
	memcpy(p, guard, 16);
	return p + 16;
}

static int is_guarded(const void *mem)
{
	return mem != NULL && memcmp((const char *)mem - 16, guard, 16) == 0;
}

static int bad_frees;

static void guarded_free(void *mem)
{
	if (mem == NULL)
		return;
	if (!is_guarded(mem)) {
		++bad_frees;
		return;
	}
	free((char *)mem - 16);
}

static void *guarded_realloc(void *mem, size_t n)
{
	if (mem == NULL)
		return guarded_malloc(n);
	char *p = realloc((char *)mem - 16, n + 16);
	return p == NULL ? NULL : p + 16;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	++*(int *)arg;
}

int main(void)
{
	case_start();
	event_set_mem_functions(guarded_malloc, guarded_realloc, guarded_free);
	struct event_config *cfg = event_config_new();
	printf("config from the program's malloc: %d\n", is_guarded(cfg));
	struct event_base *base = event_base_new_with_config(cfg);
	printf("base from the program's malloc: %d\n", is_guarded(base));
	int ticks = 0;
	struct event *ev = evtimer_new(base, tick, &ticks);
	printf("event from the program's malloc: %d\n", is_guarded(ev));
	struct timeval soon = case_ms(5);
	event_add(ev, &soon);
	event_base_dispatch(base);
	printf("ticks: %d\n", ticks);
	event_free(ev);
	event_base_free(base);
	event_config_free(cfg);
	printf("frees of blocks not from the program's malloc: %d\n", bad_frees);
	return 0;
}
