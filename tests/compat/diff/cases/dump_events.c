/* event_base_dump_events prints libevent's format: "Inserted events:" with
 * one line per added event or timer ("[fd  N]" or "[sig N]", the events it
 * waits for, ET, the deadline as a date), then "Active events:" with the
 * priority and what it was activated with. Addresses are replaced by the
 * events' names and deadlines by their distance from now, and each section
 * is sorted (libevent's timer order for equal deadlines is not specified);
 * libevent's internal events are left out. */
#include "diff_case.h"

#include <signal.h>
#include <string.h>

#include <event2/event.h>

#define N 9

static struct event *ev[N];
static double now_s;

static void ignore(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rewrites one dump line into a comparable form, or returns 0 to drop it. */
static int rewrite(const char *line, char *out, size_t outlen)
{
	void *p = NULL;
	if (strstr(line, "Internal") != NULL || sscanf(line, " %p", &p) != 1)
		return 0;
	int which = -1;
	for (int i = 0; i < N; ++i)
		if ((void *)ev[i] == p)
			which = i;
	const char *rest = strchr(line, '[');
	char body[256];
	snprintf(body, sizeof body, "%s", rest != NULL ? rest : "");
	char *t = strstr(body, " Timeout=");
	if (t != NULL && t[9] >= '0' && t[9] <= '9') {
		double at = strtod(t + 9, NULL);
		snprintf(t, sizeof body - (size_t)(t - body), " Timeout=now+%.1f", at - now_s);
	}
	body[strcspn(body, "\n")] = '\0';
	snprintf(out, outlen, "ev%d %s", which, body);
	return 1;
}

static void show_section(char **lines, int n)
{
	qsort(lines, (size_t)n, sizeof lines[0], by_text);
	for (int i = 0; i < n; ++i)
		printf("  %s\n", lines[i]);
}

int main(void)
{
	case_start();
	int a[2], b[2];
	case_pipe(a);
	case_pipe(b);
	struct event_base *base = event_base_new();
	event_base_priority_init(base, 3);
	struct timeval one = case_ms(1000), two5 = case_ms(2500);
	const struct timeval *one_common = event_base_init_common_timeout(base, &one);

	ev[0] = event_new(base, a[1], EV_WRITE, ignore, NULL);
	ev[1] = event_new(base, a[0], EV_READ | EV_PERSIST, ignore, NULL);
	ev[2] = event_new(base, b[1], EV_WRITE | EV_PERSIST | EV_ET, ignore, NULL);
	ev[3] = evtimer_new(base, ignore, NULL);
	ev[4] = event_new(base, -1, EV_PERSIST, ignore, NULL);
	ev[5] = event_new(base, -1, 0, ignore, NULL);
	ev[6] = event_new(base, -1, 0, ignore, NULL);
	ev[7] = evsignal_new(base, SIGUSR1, ignore, NULL);
	ev[8] = event_new(base, b[0], EV_READ | EV_CLOSED, ignore, NULL);
	event_add(ev[0], NULL);
	event_add(ev[1], &one);
	event_add(ev[2], one_common);
	event_add(ev[3], &two5);
	event_add(ev[4], one_common);
	event_add(ev[7], NULL);
	event_add(ev[8], &two5);
	event_active(ev[5], EV_READ, 1);
	event_active(ev[1], EV_READ, 1);
	event_priority_set(ev[6], 0);
	event_active(ev[6], EV_TIMEOUT | EV_WRITE, 1);

	struct timeval tv;
	gettimeofday(&tv, NULL);
	now_s = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	event_base_dump_events(base, out);
	fclose(out);

	char *lines[2][32];
	int counts[2] = {0, 0};
	int section = -1;
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strcmp(line, "Inserted events:") == 0 || strcmp(line, "Active events:") == 0) {
			section = line[0] == 'I' ? 0 : 1;
			printf("%s\n", line);
			continue;
		}
		char clean[300];
		if (section >= 0 && counts[section] < 32 && rewrite(line, clean, sizeof clean))
			lines[section][counts[section]++] = strdup(clean);
	}
	free(text);
	/* Print the sections after their headers were seen, in order. */
	printf("inserted:\n");
	show_section(lines[0], counts[0]);
	printf("active:\n");
	show_section(lines[1], counts[1]);
	for (int s = 0; s < 2; ++s)
		for (int i = 0; i < counts[s]; ++i)
			free(lines[s][i]);
	for (int i = 0; i < N; ++i)
		event_free(ev[i]);
	event_base_free(base);
	return 0;
}
