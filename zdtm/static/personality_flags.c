/*
 * personality_flags: an execution domain with flags: PER_LINUX | ADDR_NO_RANDOMIZE |
 * UNAME26 | ADDR_COMPAT_LAYOUT (0x0260000, worked out by hand from sys/personality.h).
 *
 * State: personality(0x0260000) before ready.
 * Check after SIGTERM: personality(0xffffffff) (a query) returns 0x0260000, and so does
 * /proc/self/personality; UNAME26 acts: uname() reports a release starting with "2.6.";
 * a forked child that execs /bin/cat /proc/self/personality (no set-id: every flag is
 * inherited) prints 00260000.
 */
#include "zdtm.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define PERS 0x0260000UL

int main(int argc, char **argv)
{
	char buf[64];
	struct utsname u;
	unsigned long now;
	int p[2], st;
	ssize_t n = 0, k;
	pid_t child;

	zdtm_init(argc, argv);
	if ((PER_LINUX | ADDR_NO_RANDOMIZE | UNAME26 | ADDR_COMPAT_LAYOUT) != PERS)
		zdtm_fail("personality constants are not what this test was written for");
	if (personality(PERS) < 0 || (unsigned long)personality(0xffffffff) != PERS)
		zdtm_fail("personality: %m");
	zdtm_log("personality %#lx", PERS);

	zdtm_ready();
	zdtm_wait_for_term();

	now = (unsigned)personality(0xffffffff);
	zdtm_check(now == PERS, "personality %#lx, expected %#lx", now, PERS);
	zdtm_read_file("/proc/self/personality", buf, sizeof(buf));
	now = strtoul(buf, NULL, 16);
	zdtm_check(now == PERS, "/proc/self/personality %#lx, expected %#lx", now, PERS);
	zdtm_check(uname(&u) == 0 && !strncmp(u.release, "2.6.", 4), "uname release %s, expected 2.6.x (UNAME26)",
		   u.release);

	if (access("/bin/cat", X_OK)) {
		zdtm_log("no /bin/cat: exec check left out");
		zdtm_finish();
	}
	if (pipe(p))
		zdtm_fail("pipe: %m");
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execl("/bin/cat", "cat", "/proc/self/personality", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	memset(buf, 0, sizeof(buf));
	while (n < (ssize_t)sizeof(buf) - 1 && (k = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += k;
	close(p[0]);
	if (waitpid(child, &st, 0) != child)
		zdtm_fail("waitpid: %m");
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "cat ended with status %#x", st);
	zdtm_check(!strcmp(buf, "00260000\n"), "an exec'ed child has personality '%.*s', expected 00260000",
		   (int)strcspn(buf, "\n"), buf);
	zdtm_finish();
}
