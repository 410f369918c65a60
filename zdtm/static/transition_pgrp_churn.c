/*
 * transition_pgrp_churn: process groups and sessions changing in a tree the whole time it is
 * dumped.
 *
 * State: three children of the root (the root leads its own session and group) each loop:
 * setpgid(0, 0) into a group of its own, back with setpgid(0, root's group), and every 8th
 * round fork a grandchild that calls setsid() (a new session and group), checks them and exits
 * with a code of its own, reaped by the child. So groups are created and emptied all the time,
 * some with their leader gone back to the root's group while a grandchild, not yet in its own
 * session, is still in them; sessions appear and vanish; the root meanwhile reads every child's
 * group and session.
 * Check: after each setpgid the child's getpgrp() is what it asked for and its session is the
 * root's; each grandchild's getsid() and getpgrp() are its own PID after setsid() and it exits
 * with its code; the root never sees a child in a group other than its own or the root's, or
 * in another session; after SIGTERM the children stop (SIGTERM) and report their counts of
 * rounds and of wrong ids through a pipe: none wrong, rounds went on after zdtm_ready; the root
 * is still leader of its session and group.
 */
#include "zdtm.h"
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIDS 3

static int gcode(pid_t pid, uint64_t r)
{
	return 1 + (int)(((uint64_t)pid * 13 + r) % 120);
}

static void child_loop(pid_t root, int rep)
{
	uint64_t rounds = 0, wrong = 0;
	pid_t me = getpid();
	while (!zdtm_term_requested()) {
		if (setpgid(0, 0) || getpgrp() != me || getsid(0) != root)
			wrong++;
		if (rounds % 8 == 0) {
			pid_t g = fork();
			if (g < 0)
				_exit(10);
			if (g == 0) {
				pid_t gme = getpid();
				if (setsid() != gme || getsid(0) != gme || getpgrp() != gme)
					_exit(200);
				_exit(gcode(gme, rounds));
			}
			int st;
			pid_t w;
			do
				w = waitpid(g, &st, 0);
			while (w < 0 && errno == EINTR);
			if (w != g || !WIFEXITED(st) || WEXITSTATUS(st) != gcode(g, rounds))
				wrong++;
		}
		if (setpgid(0, root) || getpgrp() != root || getsid(0) != root)
			wrong++;
		rounds++;
		if (rounds % 16 == 0)
			usleep(100);
	}
	uint64_t m[3] = { (uint64_t)me, rounds, wrong };
	if (write(rep, m, sizeof(m)) != sizeof(m))
		_exit(11);
	_exit(0);
}

int main(int argc, char **argv)
{
	pid_t root, kids[KIDS];
	int rep[2], st;
	uint64_t bad = 0, samples = 0;

	zdtm_init(argc, argv);
	root = getpid();
	if (getsid(0) != root || getpgrp() != root)
		zdtm_fail("the test does not lead its session and group");
	if (pipe(rep))
		zdtm_fail("pipe: %m");
	for (int k = 0; k < KIDS; k++) {
		kids[k] = fork();
		if (kids[k] < 0)
			zdtm_fail("fork: %m");
		if (kids[k] == 0) {
			close(rep[0]);
			child_loop(root, rep[1]);
		}
	}
	close(rep[1]);
	usleep(100000);
	zdtm_ready();
	while (!zdtm_term_requested()) {
		for (int k = 0; k < KIDS; k++) {
			pid_t g = getpgid(kids[k]), s = getsid(kids[k]);
			if (((g != kids[k] && g != root) || s != root) && bad++ < 5)
				zdtm_log("child %d in group %d, session %d", kids[k], g, s);
		}
		samples++;
		usleep(1000);
	}
	for (int k = 0; k < KIDS; k++)
		kill(kids[k], SIGTERM);
	uint64_t total = 0;
	for (int k = 0; k < KIDS; k++) {
		uint64_t m[3];
		if (waitpid(kids[k], &st, 0) != kids[k])
			zdtm_fail("waitpid: %m");
		zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d ended %#x", kids[k], st);
		if (read(rep[0], m, sizeof(m)) != sizeof(m))
			zdtm_fail("no report from a child");
		zdtm_log("child %llu: %llu rounds, %llu wrong", (unsigned long long)m[0], (unsigned long long)m[1],
			 (unsigned long long)m[2]);
		zdtm_check(m[2] == 0, "child %llu saw %llu wrong ids", (unsigned long long)m[0], (unsigned long long)m[2]);
		total += m[1];
	}
	zdtm_log("%llu samples, %llu child rounds", (unsigned long long)samples, (unsigned long long)total);
	zdtm_check(bad == 0, "%llu samples of a child in a wrong group or session", (unsigned long long)bad);
	zdtm_check(samples > 0 && total > 0, "nothing ran after zdtm_ready");
	zdtm_check(getsid(0) == root && getpgrp() == root, "the root left its session or group");
	zdtm_check(waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD, "a child is left over");
	zdtm_finish();
}
