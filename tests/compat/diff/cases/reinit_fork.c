/* event_reinit after fork(): in the child, event_reinit returns 0 and the
 * events added before the fork (a pipe reader, a timer) keep working; the
 * parent's base is unaffected and keeps working after the child exits. */
#include "diff_case.h"

#include <sys/wait.h>

#include <event2/event.h>

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	char c = '-';
	ssize_t n = read(fd, &c, 1);
	printf("%s: read what=0x%x n=%d byte=%c\n", (const char *)arg, case_flags(what), (int)n, c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	printf("%s: timer what=0x%x\n", (const char *)arg, case_flags(what));
}

int main(void)
{
	case_start();
	int to_child[2], to_parent[2];
	case_pipe(to_child);
	case_pipe(to_parent);
	struct event_base *base = event_base_new();

	struct event *child_r = event_new(base, to_child[0], EV_READ, on_read, "child");
	struct event *parent_r = event_new(base, to_parent[0], EV_READ, on_read, "parent");
	struct event *timer = evtimer_new(base, on_timer, "child");
	event_add(child_r, NULL);
	struct timeval tv = case_ms(20);
	evtimer_add(timer, &tv);

	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		case_fail("fork");
	if (pid == 0) {
		printf("child: event_reinit: %d\n", event_reinit(base));
		printf("child: reader pending: 0x%x\n", (unsigned)event_pending(child_r, EV_READ, NULL));
		case_write(to_child[1], "c", 1);
		/* The read is ready at once and the timer later; were the
		 * child stalled, both would be due in one iteration, where the
		 * read still comes first. */
		printf("child: dispatch: %d\n", event_base_dispatch(base));
		case_write(to_parent[1], "p", 1);
		event_free(child_r);
		event_free(parent_r);
		event_free(timer);
		event_base_free(base);
		exit(0);
	}

	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		case_fail("waitpid");
	printf("parent: child exited=%d status=%d\n", WIFEXITED(status) ? 1 : 0,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* The parent never ran its loop: its events are still pending. */
	printf("parent: child reader pending: 0x%x timer pending: 0x%x\n",
	       (unsigned)event_pending(child_r, EV_READ, NULL), (unsigned)evtimer_pending(timer, NULL));
	event_del(child_r);
	event_del(timer);
	event_add(parent_r, NULL);
	printf("parent: dispatch: %d\n", event_base_dispatch(base));

	event_free(child_r);
	event_free(parent_r);
	event_free(timer);
	event_base_free(base);
	printf("parent: done\n");
	return 0;
}
