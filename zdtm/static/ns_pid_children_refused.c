/*
 * ns_pid_children_refused: the test called unshare(CLONE_NEWPID): it stays in its namespace but
 * its next child will be PID 1 of a new one. amber would lose that, so the dump must be refused
 * (naming the task and pid_for_children); the test runs on.
 * Check after SIGTERM: a child forked now is PID 1 in its namespace (getpid() == 1 there).
 */
#include "zdtm.h"
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int st = 0;
	pid_t child;

	zdtm_init(argc, argv);
	if (unshare(CLONE_NEWPID))
		zdtm_skip("unshare(CLONE_NEWPID): %m");

	zdtm_ready();
	zdtm_wait_for_term();

	child = fork();
	if (child == 0)
		_exit(getpid() == 1 ? 42 : 3);
	zdtm_check(child > 0 && waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 42, "the child was not PID 1 of a new namespace (status %#x)", st);
	zdtm_finish();
}
