/*
 * pty_bg_sigttou: job control on a pty of the tree: a foreground group set by tcsetpgrp and
 * background groups stopped from the terminal (TOSTOP).
 *
 * State: R (the test) holds the master. C, its child, made a session with the slave as its
 * controlling terminal, set TOSTOP, ignores SIGTTOU and SIGTTIN. C's children G1 and G2 lead
 * their own groups; tcsetpgrp made G1's group the foreground group. G2 catches SIGTTOU and
 * SIGTTIN with handlers without SA_RESTART. All three hold the slave fd.
 * Check after SIGTERM: TIOCGPGRP/TIOCGSID on the master give G1 and C. In turn (through a
 * shared page): G1 checks its group and tcgetpgrp, writes "fg\n" (allowed); G2 checks its
 * group and tcgetpgrp (G1), its write fails with EINTR after exactly one SIGTTOU, its read
 * with EINTR after exactly one SIGTTIN; C checks tcgetpgrp (G1), tcgetsid (C), TOSTOP,
 * writes "c\n" (allowed: SIGTTOU ignored) and reads EIO (SIGTTIN ignored). The master reads
 * exactly "fg\r\nc\r\n". Every task reports through the shared page and its exit status.
 */
#include "pty_util.h"
#include "kid_util.h"
#include <stdio.h>
#include <sys/wait.h>

static volatile sig_atomic_t ttou, ttin;
static void on_ttou(int sig) { (void)sig; ttou++; }
static void on_ttin(int sig) { (void)sig; ttin++; }

static volatile int *sh;	/* [0] phase, [1..3] ready, [4..6] done, [7] pids of G1 */
static char slave_path[64];

static int g_main(int idx, int slave)
{
	int before = zdtm_failures();
	pid_t me = getpid();
	char c;
	ssize_t r;

	kid_set_word(&sh[idx], 1);
	while (!kid_wait_word(&sh[0], idx, 1000000))
		;
	zdtm_check(getpgrp() == me, "G%d: group %d, expected %d", idx, getpgrp(), me);
	if (idx == 1) {
		zdtm_check(tcgetpgrp(slave) == me, "G1: tcgetpgrp %d, expected its own group %d", tcgetpgrp(slave), me);
		zdtm_check(write(slave, "fg\n", 3) == 3, "G1: foreground write: %m");
	} else {
		zdtm_check(tcgetpgrp(slave) == sh[7], "G2: tcgetpgrp %d, expected G1 %d", tcgetpgrp(slave), sh[7]);
		errno = 0;
		r = write(slave, "bg\n", 3);
		zdtm_check(r < 0 && errno == EINTR && ttou == 1, "G2: background write gave %zd (%m), %d SIGTTOU; expected EINTR, 1",
			   r, (int)ttou);
		errno = 0;
		r = read(slave, &c, 1);
		zdtm_check(r < 0 && errno == EINTR && ttin == 1, "G2: background read gave %zd (%m), %d SIGTTIN; expected EINTR, 1",
			   r, (int)ttin);
	}
	kid_set_word(&sh[3 + idx], 1);
	return zdtm_failures() != before;
}

static int c_main(void)
{
	int before = zdtm_failures(), s;
	struct sigaction sa;
	struct termios t;
	pid_t g1, g2, me = getpid();
	char c;
	ssize_t r;

	signal(SIGTTOU, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	if (setsid() < 0)
		_exit(20);
	s = open(slave_path, O_RDWR);
	if (s < 0)
		_exit(21);
	if (tcgetattr(s, &t))
		_exit(22);
	t.c_lflag |= TOSTOP;
	t.c_lflag &= ~ECHO;
	if (tcsetattr(s, TCSANOW, &t))
		_exit(23);
	g1 = fork();
	if (g1 == 0) {
		setpgid(0, 0);
		_exit(g_main(1, s));
	}
	setpgid(g1, g1);
	g2 = fork();
	if (g2 == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_ttou;
		sigaction(SIGTTOU, &sa, NULL);
		sa.sa_handler = on_ttin;
		sigaction(SIGTTIN, &sa, NULL);
		setpgid(0, 0);
		_exit(g_main(2, s));
	}
	setpgid(g2, g2);
	if (g1 < 0 || g2 < 0 || tcsetpgrp(s, g1))
		_exit(24);
	sh[7] = g1;
	kid_set_word(&sh[3], 1);
	while (!kid_wait_word(&sh[0], 3, 1000000))
		;
	zdtm_check(tcgetpgrp(s) == g1, "C: tcgetpgrp %d, expected G1 %d", tcgetpgrp(s), g1);
	zdtm_check(tcgetsid(s) == me, "C: tcgetsid %d, expected %d", tcgetsid(s), me);
	zdtm_check(tcgetattr(s, &t) == 0 && (t.c_lflag & TOSTOP), "C: TOSTOP lost (lflag %#x)", t.c_lflag);
	zdtm_check(write(s, "c\n", 2) == 2, "C: background write with SIGTTOU ignored: %m");
	errno = 0;
	r = read(s, &c, 1);
	zdtm_check(r < 0 && errno == EIO, "C: background read with SIGTTIN ignored gave %zd (%m), expected EIO", r);
	zdtm_check(kid_reap_ok(g1, "G1", 5000), "C: G1 failed");
	zdtm_check(kid_reap_ok(g2, "G2", 5000), "C: G2 failed");
	kid_set_word(&sh[6], 1);
	kid_wait_word(&sh[0], 4, 5000);
	return zdtm_failures() != before;
}

int main(int argc, char **argv)
{
	int m, n = -1, i;
	char buf[64];
	pid_t c, pg = 0, sid = 0;
	size_t got;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m) || ioctl(m, TIOCGPTN, &n))
		zdtm_fail("posix_openpt: %m");
	snprintf(slave_path, sizeof(slave_path), "/dev/pts/%d", n);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0)
		_exit(c_main());
	for (i = 1; i <= 3; i++)
		if (!kid_wait_word(&sh[i], 1, 5000))
			zdtm_fail("task %d of the session did not get ready", i);
	zdtm_log("pty %d, session %d, foreground G1 %d", n, (int)c, sh[7]);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ioctl(m, TIOCGPGRP, &pg) == 0 && pg == sh[7], "master: foreground group %d, expected %d", (int)pg, sh[7]);
	zdtm_check(ioctl(m, TIOCGSID, &sid) == 0 && sid == c, "master: session %d, expected %d", (int)sid, (int)c);
	for (i = 1; i <= 3; i++) {
		kid_set_word(&sh[0], i);
		zdtm_check(kid_wait_word(&sh[3 + i], 1, 5000), "step %d did not finish", i);
	}
	got = pty_read_for(m, buf, 7, 2000);
	zdtm_check(got == 7 && !memcmp(buf, "fg\r\nc\r\n", 7), "master read %zu bytes '%.*s', expected 'fg\\r\\nc\\r\\n'", got,
		   (int)got, buf);
	got = pty_quiet_for(m, 200) ? 0 : (size_t)read(m, buf, sizeof(buf));
	zdtm_check(got == 0, "the master has %zd more bytes '%.*s' (a background write went through?)", (ssize_t)got,
		   (int)got, buf);
	kid_set_word(&sh[0], 4);
	zdtm_check(kid_reap_ok(c, "session leader C", 5000), "the session failed");
	zdtm_finish();
}
