/*
 * ns_uts_refused: a child in a UTS namespace of its own with its own hostname. amber does not
 * carry namespaces yet, so the dump must be refused (naming the task and the namespace) rather
 * than bring the child back in amber's namespace with amber's hostname; the tree runs on.
 * Check after SIGTERM: the child still sees its hostname, the test still sees the old one.
 */
#include "zdtm.h"
#include <sched.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct utsname u0;
	int p[2], q[2], st = 0;
	char c;
	pid_t child;

	zdtm_init(argc, argv);
	uname(&u0);
	if (pipe(p) || pipe(q))
		zdtm_fail("pipe: %m");
	child = fork();
	if (child == 0) {
		struct utsname u;
		if (unshare(CLONE_NEWUTS) || sethostname("amber-ns-test", 13))
			_exit(2);
		if (write(p[1], "r", 1) != 1 || read(q[0], &c, 1) != 1)
			_exit(3);
		uname(&u);
		_exit(strcmp(u.nodename, "amber-ns-test") == 0 ? 42 : 4);
	}
	if (read(p[0], &c, 1) != 1)
		zdtm_fail("the child did not report");

	zdtm_ready();
	zdtm_wait_for_term();

	{
		struct utsname u;
		uname(&u);
		zdtm_check(strcmp(u.nodename, u0.nodename) == 0, "the test's hostname changed to %s", u.nodename);
	}
	zdtm_check(write(q[1], "g", 1) == 1, "write to the child: %m");
	zdtm_check(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 42, "the child ended with status %#x (4: its hostname is gone)", st);
	zdtm_finish();
}
