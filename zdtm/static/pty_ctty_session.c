/*
 * pty_ctty_session: a session whose controlling terminal is a pty of the tree.
 * State: R (the test) holds the master. C, its child, made a session and took the slave as its
 * controlling terminal, then closed every fd of it (the terminal is held only as C's ctty).
 * G, C's child, leads its own group and is the terminal's foreground group. G counts SIGINT,
 * C counts SIGINT too (it must get none).
 * Check after SIGTERM: R sees the terminal's session C and foreground group G (TIOCGSID,
 * TIOCGPGRP on the master), writes ^C to the master and tells C and G to check: each checks its
 * session, tty_nr in /proc/self/stat (the slave's rdev), that /dev/tty opens, tcgetpgrp() and
 * tcgetsid() through it; G must have had exactly one SIGINT, C none. G exits 42 if right, C
 * too if G did.
 */
#include "pty_util.h"
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

static volatile sig_atomic_t sigints;
static dev_t slave_rdev;
static pid_t c_pid, g_pid;

static void on_int(int sig) { (void)sig; sigints++; }

static void check_member(const char *who, int expect_int) __attribute__((noreturn));
static void check_member(const char *who, int expect_int)
{
	char buf[64];
	int fd;
	zdtm_wait_for_term();
	zdtm_check(getsid(0) == c_pid, "%s: session %d, expected %d", who, getsid(0), c_pid);
	zdtm_stat_field(7, buf, sizeof(buf));
	zdtm_check(strtoull(buf, NULL, 10) == (unsigned long long)slave_rdev, "%s: tty_nr %s, expected %lu", who, buf, (unsigned long)slave_rdev);
	fd = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (zdtm_check(fd >= 0, "%s: open /dev/tty: %m", who)) {
		zdtm_check(tcgetpgrp(fd) == g_pid, "%s: foreground group %d, expected %d", who, tcgetpgrp(fd), g_pid);
		zdtm_check(tcgetsid(fd) == c_pid, "%s: terminal session %d, expected %d", who, tcgetsid(fd), c_pid);
		close(fd);
	}
	zdtm_check(sigints == expect_int, "%s: %d SIGINT, expected %d", who, (int)sigints, expect_int);
	if (getpid() == c_pid) {
		int st = 0;
		zdtm_check(waitpid(g_pid, &st, 0) == g_pid && WIFEXITED(st) && WEXITSTATUS(st) == 42, "G ended with status %#x", st);
	}
	_exit(zdtm_failures() ? 1 : 42);
}

int main(int argc, char **argv)
{
	int m, p[2], n, sid = 0, pgrp = 0, st;
	struct stat sst;
	char c, name[64];
	pid_t r;

	zdtm_init(argc, argv);
	pty_open_pair(&m, NULL, 0);
	snprintf(name, sizeof(name), "%s", ptsname(m));
	if (stat(name, &sst))
		zdtm_fail("stat %s: %m", name);
	slave_rdev = sst.st_rdev;
	if (pipe(p))
		zdtm_fail("pipe: %m");
	signal(SIGINT, on_int);

	c_pid = fork();
	if (c_pid < 0)
		zdtm_fail("fork: %m");
	if (c_pid == 0) {
		int s, t;
		c_pid = getpid();
		close(m);
		if (setsid() < 0)
			_exit(2);
		s = open(name, O_RDWR);	/* no O_NOCTTY: the session leader takes it */
		if (s < 0)
			_exit(3);
		close(s);
		g_pid = fork();
		if (g_pid == 0) {
			g_pid = getpid();
			setpgid(0, 0);
			if (write(p[1], "g", 1) != 1)
				_exit(4);
			check_member("G", 1);
		}
		setpgid(g_pid, g_pid);
		t = open("/dev/tty", O_RDWR);
		if (t < 0 || tcsetpgrp(t, g_pid))
			_exit(5);
		close(t);
		if (write(p[1], "c", 1) != 1)
			_exit(4);
		check_member("C", 0);
	}
	for (n = 0; n < 2; n++) {
		if (read(p[0], &c, 1) != 1)
			zdtm_fail("a child did not report");
	}
	/* G's pid: the terminal's foreground group, read back */
	if (ioctl(m, TIOCGPGRP, &g_pid))
		zdtm_fail("TIOCGPGRP: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ioctl(m, TIOCGSID, &sid) == 0 && sid == c_pid, "terminal session %d, expected %d", sid, c_pid);
	zdtm_check(ioctl(m, TIOCGPGRP, &pgrp) == 0 && pgrp == g_pid, "foreground group %d, expected %d", pgrp, g_pid);
	zdtm_check(write(m, "\003", 1) == 1, "write ^C: %m");
	zdtm_sleep_ms(200);
	kill(g_pid, SIGTERM);
	kill(c_pid, SIGTERM);
	/* G is C's child: C's exit is what R can wait for; G reports through C's exit order */
	r = waitpid(c_pid, &st, 0);
	zdtm_check(r == c_pid && WIFEXITED(st) && WEXITSTATUS(st) == 42, "C ended with status %#x", st);
	zdtm_check(sigints == 0, "R got %d SIGINT", (int)sigints);
	zdtm_finish();
}
