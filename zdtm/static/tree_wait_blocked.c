/*
 * tree_wait_blocked: children asleep in waitpid() for their own children and in
 * sigwaitinfo() across checkpoints.
 *
 * State: the test R has children W and S. W forked G1 and G2 and sleeps in
 * waitpid(G2, &st, 0); S blocks SIGUSR1 and sleeps in sigwaitinfo({SIGUSR1}). G1 and G2 wait
 * for words in a shared page. Nothing is sent to W or S.
 * Check after SIGTERM: W's and S's calls have not returned (no EINTR, no early status); W
 * and S are in state S in /proc (S retries sigwaitinfo on EINTR, which signal(7) allows after
 * any stop, so a freeze); G1 exits 11 first: W's waitpid(G2) still has not returned
 * (it waits for G2 only) and G1 stays a zombie of W; G2 exits 17: W's waitpid returns G2's
 * pid with status 17, then W reaps G1 (status 11). R sends S SIGUSR1 with sigqueue payload
 * 99: S's sigwaitinfo returns SIGUSR1, SI_QUEUE, 99, R's pid. Both report through the page
 * and exit 0.
 */
#include "kid_util.h"
#include <stdio.h>
#include <string.h>

static volatile int *sh;	/* [0] G1 exit, [1] G2 exit, [2] W ret+1 [3] W status [4] W errno, [5] S ret+1, [6] S code, [7] S int, [8] S pid, [9] G1 pid [10] G2 pid, [11] W more */

static char state_of(pid_t pid)
{
	char p[64], b[512], *q;
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	zdtm_read_file(p, b, sizeof(b));
	q = strrchr(b, ')');
	return q && q[1] == ' ' ? q[2] : '?';
}

int main(int argc, char **argv)
{
	pid_t w, s;
	int i;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	w = fork();
	if (w == 0) {
		pid_t g1, g2, r;
		int st = 0;
		g1 = fork();
		if (g1 == 0) {
			while (!kid_wait_word(&sh[0], 1, 1000000))
				;
			_exit(11);
		}
		g2 = fork();
		if (g2 == 0) {
			while (!kid_wait_word(&sh[1], 1, 1000000))
				;
			_exit(17);
		}
		sh[9] = g1;
		sh[10] = g2;
		r = waitpid(g2, &st, 0);
		sh[3] = st;
		sh[4] = errno;
		kid_set_word(&sh[2], r + 1);
		if (r != g2)
			_exit(2);
		r = waitpid(g1, &st, 0);
		kid_set_word(&sh[11], r == g1 && WIFEXITED(st) && WEXITSTATUS(st) == 11 ? 1 : 2);
		_exit(0);
	}
	s = fork();
	if (s == 0) {
		sigset_t set;
		siginfo_t si;
		int r;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		kid_set_word(&sh[12], 1);
		memset(&si, 0, sizeof(si));
		/* signal(7): sigwaitinfo fails with EINTR after a stop (a freeze is one) even
		 * without handlers, so a program must retry; waitpid is restarted. */
		do
			r = sigwaitinfo(&set, &si);
		while (r < 0 && errno == EINTR);
		sh[6] = si.si_code;
		sh[7] = si.si_value.sival_int;
		sh[8] = si.si_pid;
		kid_set_word(&sh[5], r + 1);
		_exit(r == SIGUSR1 ? 0 : 1);
	}
	if (w < 0 || s < 0)
		zdtm_fail("fork: %m");
	if (!kid_wait_word(&sh[10], 1, 5000) || !kid_wait_word(&sh[12], 1, 5000))
		zdtm_fail("the children did not start");
	for (i = 0; i < 200 && (state_of(w) != 'S' || state_of(s) != 'S'); i++)
		zdtm_sleep_ms(10);
	zdtm_log("W %d (G1 %d, G2 %d), S %d", (int)w, sh[9], sh[10], (int)s);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(sh[2] == 0, "W's waitpid returned %d (status %#x errno %d) before G2 exited", sh[2] - 1, sh[3], sh[4]);
	zdtm_check(sh[5] == 0, "S's sigwaitinfo returned %d before SIGUSR1 was sent", sh[5] - 1);
	zdtm_check(state_of(w) == 'S' && state_of(s) == 'S', "W is in state %c, S in %c, expected S", state_of(w), state_of(s));
	kid_set_word(&sh[0], 1);
	for (i = 0; i < 200 && state_of(sh[9]) != 'Z'; i++)
		zdtm_sleep_ms(10);
	zdtm_check(state_of(sh[9]) == 'Z', "G1 is in state %c after exiting, expected a zombie of W", state_of(sh[9]));
	zdtm_sleep_ms(100);
	zdtm_check(sh[2] == 0, "W's waitpid(G2) returned %d when G1 exited", sh[2] - 1);
	kid_set_word(&sh[1], 1);
	zdtm_check(kid_wait_word(&sh[2], 1, 3000), "W's waitpid did not return after G2 exited");
	zdtm_check(sh[2] - 1 == sh[10] && WIFEXITED(sh[3]) && WEXITSTATUS(sh[3]) == 17,
		   "W's waitpid returned %d status %#x errno %d, expected %d status 17", sh[2] - 1, sh[3], sh[4], sh[10]);
	zdtm_check(kid_wait_word(&sh[11], 1, 3000) && sh[11] == 1, "W could not reap G1 with status 11 (%d)", sh[11]);
	zdtm_check(sigqueue(s, SIGUSR1, (union sigval){ .sival_int = 99 }) == 0, "sigqueue: %m");
	zdtm_check(kid_wait_word(&sh[5], 1, 3000), "S's sigwaitinfo did not return");
	zdtm_check(sh[5] - 1 == SIGUSR1 && sh[6] == SI_QUEUE && sh[7] == 99 && sh[8] == getpid(),
		   "S got signal %d code %d value %d from %d, expected SIGUSR1 SI_QUEUE 99 from %d", sh[5] - 1, sh[6], sh[7], sh[8],
		   (int)getpid());
	kid_reap_ok(w, "W", 5000);
	kid_reap_ok(s, "S", 5000);
	zdtm_finish();
}
