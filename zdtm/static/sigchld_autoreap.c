/*
 * sigchld_autoreap: children reaped by the kernel: SIGCHLD ignored in the test, SA_NOCLDWAIT
 * with a handler in its child.
 *
 * State: the test R has SIGCHLD set to SIG_IGN and children C1 and C. C has an
 * SA_NOCLDWAIT|SA_SIGINFO SIGCHLD handler (counting, recording si_pid and si_status) and a
 * child G. All wait for words in a shared page.
 * Check after SIGTERM: R's SIGCHLD disposition is SIG_IGN; C1 is told to exit 5: it leaves
 * no zombie (/proc/C1 gone within 2 s) and waitpid(C1, WNOHANG) then gives ECHILD. C is told
 * to check: its SIGCHLD has SA_NOCLDWAIT and its handler; G exits 6: C's handler runs once
 * with G's pid and status 6, G leaves no zombie, waitpid(G) gives ECHILD; C then exits and
 * leaves no zombie either.
 */
#include "kid_util.h"
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static volatile int *sh;	/* [0] C1 exit, [1] C check, [2] C result+1, [3] G pid, [4] G exit, [5] C ready */
static volatile sig_atomic_t chld, chld_pid, chld_status;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chld++;
	chld_pid = si->si_pid;
	chld_status = si->si_status;
}

static int gone(pid_t pid, int ms)
{
	char p[64];
	struct stat st;
	int i;
	snprintf(p, sizeof(p), "/proc/%d", (int)pid);
	for (i = 0; i < ms / 10; i++) {
		if (stat(p, &st) < 0 && errno == ENOENT)
			return 1;
		zdtm_sleep_ms(10);
	}
	return 0;
}

static int c_main(void)
{
	struct sigaction sa, cur;
	int before, i;
	pid_t g;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	g = fork();
	if (g == 0) {
		while (!kid_wait_word(&sh[4], 1, 1000000))
			;
		_exit(6);
	}
	sh[3] = g;
	kid_set_word(&sh[5], 1);
	while (!kid_wait_word(&sh[1], 1, 1000000))
		;
	before = zdtm_failures();
	memset(&cur, 0, sizeof(cur));
	zdtm_check(sigaction(SIGCHLD, NULL, &cur) == 0 && cur.sa_sigaction == on_chld && (cur.sa_flags & SA_NOCLDWAIT) &&
			   (cur.sa_flags & SA_SIGINFO),
		   "C: SIGCHLD flags %#x handler %p", (unsigned)cur.sa_flags, (void *)cur.sa_sigaction);
	zdtm_check(chld == 0, "C: %d SIGCHLD before G exited", (int)chld);
	kid_set_word(&sh[4], 1);
	for (i = 0; i < 300 && !chld; i++)
		zdtm_sleep_ms(10);
	zdtm_check(chld == 1 && chld_pid == g && chld_status == 6, "C: %d SIGCHLD, pid %d status %d; expected 1, %d, 6",
		   (int)chld, (int)chld_pid, (int)chld_status, (int)g);
	zdtm_check(gone(g, 2000), "C: G left a zombie");
	errno = 0;
	zdtm_check(waitpid(g, NULL, WNOHANG) < 0 && errno == ECHILD, "C: waitpid(G): %m, expected ECHILD");
	return zdtm_failures() != before;
}

int main(int argc, char **argv)
{
	struct sigaction cur;
	pid_t c1, c;
	int r;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	c = fork();
	if (c == 0) {
		r = c_main();
		kid_set_word(&sh[2], r + 1);
		_exit(r);
	}
	c1 = fork();
	if (c1 == 0) {
		while (!kid_wait_word(&sh[0], 1, 1000000))
			;
		_exit(5);
	}
	if (c < 0 || c1 < 0)
		zdtm_fail("fork: %m");
	signal(SIGCHLD, SIG_IGN);
	if (!kid_wait_word(&sh[5], 1, 5000))
		zdtm_fail("C did not start");
	zdtm_log("C1 %d, C %d, G %d", (int)c1, (int)c, sh[3]);

	zdtm_ready();
	zdtm_wait_for_term();

	memset(&cur, 0, sizeof(cur));
	zdtm_check(sigaction(SIGCHLD, NULL, &cur) == 0 && cur.sa_handler == SIG_IGN, "R: SIGCHLD handler %p, expected SIG_IGN",
		   (void *)cur.sa_handler);
	zdtm_check(waitpid(c1, NULL, WNOHANG) == 0, "R: C1 is not a live child");
	kid_set_word(&sh[0], 1);
	zdtm_check(gone(c1, 2000), "R: C1 left a zombie (or did not exit)");
	errno = 0;
	zdtm_check(waitpid(c1, NULL, WNOHANG) < 0 && errno == ECHILD, "R: waitpid(C1): %m, expected ECHILD");
	kid_set_word(&sh[1], 1);
	zdtm_check(kid_wait_word(&sh[2], 1, 5000) && sh[2] == 1, "C reported %d", sh[2] - 1);
	zdtm_check(gone(c, 2000), "R: C left a zombie");
	zdtm_finish();
}
