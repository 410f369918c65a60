/*
 * tree_traced_child: a child traced by its parent (PTRACE_SEIZE, the way a debugger or strace
 * holds a task). A tracer's hold on a task cannot be checkpointed: the dump must refuse, naming
 * the traced task, and leave both running as they were (crfail).
 *
 * State: child C in a sleep loop, seized by the test (no stop).
 * Check after SIGTERM: C's TracerPid is still the test; C is still running (state S, not
 * stopped); PTRACE_INTERRUPT + waitpid gets its interrupt stop (the test is still its tracer);
 * after PTRACE_DETACH, C's TracerPid is 0.
 */
#include "zdtm.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static int status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], buf[4096], *p;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strstr(buf, key);
	if (!p)
		return -1;
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
	return 0;
}

int main(int argc, char **argv)
{
	char v[64], me[16];
	int st;
	pid_t c;

	zdtm_init(argc, argv);
	c = fork();
	if (c == 0) {
		for (;;)
			zdtm_sleep_ms(50);
	}
	if (ptrace(PTRACE_SEIZE, c, 0, 0))
		zdtm_fail("PTRACE_SEIZE: %m");
	snprintf(me, sizeof(me), "%d", getpid());

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(status_field(c, "TracerPid:", v, sizeof(v)) == 0 && strcmp(v, me) == 0, "child's tracer is %s, expected %s", v, me);
	zdtm_check(status_field(c, "State:", v, sizeof(v)) == 0 && v[0] == 'S', "child state %s, expected sleeping", v);
	zdtm_check(ptrace(PTRACE_INTERRUPT, c, 0, 0) == 0, "PTRACE_INTERRUPT: %m");
	zdtm_check(waitpid(c, &st, __WALL) == c && WIFSTOPPED(st), "no interrupt stop: %#x", st);
	zdtm_check(ptrace(PTRACE_DETACH, c, 0, 0) == 0, "PTRACE_DETACH: %m");
	zdtm_check(status_field(c, "TracerPid:", v, sizeof(v)) == 0 && strcmp(v, "0") == 0, "child still traced by %s", v);
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
	zdtm_finish();
}
