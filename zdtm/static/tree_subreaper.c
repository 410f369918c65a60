/*
 * tree_subreaper: a child subreaper with an orphan it adopted.
 *
 * State: the root R sets PR_SET_CHILD_SUBREAPER; it forks A, A forks O and exits; R reaps A,
 * so O (whose parent was A) is now R's child. O keeps a 32 KiB pattern.
 * Check after SIGTERM: R still reads PR_GET_CHILD_SUBREAPER 1; /proc and waitpid(WNOHANG)
 * say O is R's live child. Sent SIGTERM, O checks its pid, its ppid (R) and pattern, forks Q
 * and exits 42; Q waits until it is orphaned, checks that its new parent is R (the kernel
 * still treats R as a subreaper) and exits 43. R reaps both and checks the codes.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN (32 << 10)

static pid_t proc_ppid(pid_t pid)
{
	char path[64], buf[512], *p;
	int ppid = -1, fd;
	ssize_t n;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

static void orphan(pid_t r) __attribute__((noreturn));
static void orphan(pid_t r)
{
	uint8_t *buf = xmalloc(LEN);
	pid_t me, q, oldp;
	int i;

	zdtm_fill(buf, LEN, 31);
	for (i = 0; i < 1000 && getppid() != r; i++)	/* until A is gone and R adopted us */
		zdtm_sleep_ms(10);
	me = getpid();
	zdtm_wait_for_term();
	zdtm_check(getpid() == me, "O: pid %d, expected %d", getpid(), me);
	zdtm_check(getppid() == r, "O: ppid %d, expected the subreaper %d", getppid(), r);
	zdtm_check(zdtm_verify(buf, LEN, 31) < 0, "O: pattern differs");
	q = fork();
	if (q == 0) {
		for (i = 0; i < 1000 && getppid() == me; i++)
			zdtm_sleep_ms(10);
		oldp = getppid();
		zdtm_check(oldp == r, "Q: orphaned, it went to %d instead of the subreaper %d", oldp, r);
		_exit(oldp == r ? 43 : 1);
	}
	_exit(q < 0 || zdtm_failures() ? 1 : 42);
}

int main(int argc, char **argv)
{
	pid_t me, a, o = 0, got;
	int p[2], st = 0, sub = -1, i, seen42 = 0, seen43 = 0;

	zdtm_init(argc, argv);
	me = getpid();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		zdtm_fail("PR_SET_CHILD_SUBREAPER: %m");
	if (pipe(p))
		zdtm_fail("pipe: %m");
	a = fork();
	if (a < 0)
		zdtm_fail("fork: %m");
	if (a == 0) {
		o = fork();
		if (o == 0) {
			close(p[0]);
			close(p[1]);
			orphan(me);
		}
		_exit(o > 0 && write(p[1], &o, sizeof(o)) == sizeof(o) ? 0 : 3);
	}
	close(p[1]);
	if (waitpid(a, &st, 0) != a || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		zdtm_fail("A ended with status %#x", st);
	if (read(p[0], &o, sizeof(o)) != sizeof(o))
		zdtm_fail("no pid from A");
	close(p[0]);
	for (i = 0; i < 1000 && proc_ppid(o) != me; i++)
		zdtm_sleep_ms(10);
	if (proc_ppid(o) != me)
		zdtm_fail("the orphan %d was not adopted (ppid %d)", o, proc_ppid(o));
	zdtm_log("A %d reaped, orphan %d adopted", a, o);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(prctl(PR_GET_CHILD_SUBREAPER, &sub) == 0 && sub == 1, "PR_GET_CHILD_SUBREAPER %d", sub);
	zdtm_check(proc_ppid(o) == me, "/proc says O's parent is %d, expected %d", proc_ppid(o), me);
	st = 0;
	zdtm_check(waitpid(o, &st, WNOHANG) == 0, "O (%d) is not a live child (status %#x)", o, st);
	kill(o, SIGTERM);
	for (i = 0; i < 1000 && !(seen42 && seen43); i++) {
		got = waitpid(-1, &st, WNOHANG);
		if (got == o)
			seen42 = WIFEXITED(st) && WEXITSTATUS(st) == 42 ? 1 : -1;
		else if (got > 0)
			seen43 = WIFEXITED(st) && WEXITSTATUS(st) == 43 ? 1 : -1;
		else
			zdtm_sleep_ms(10);
	}
	zdtm_check(seen42 == 1, "O did not exit 42 (%d)", seen42);
	zdtm_check(seen43 == 1, "the grandchild Q was not reaped here with exit 43 (%d)", seen43);
	zdtm_finish();
}
