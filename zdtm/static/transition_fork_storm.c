/*
 * transition_fork_storm: a tree that forks and reaps children the whole time it is dumped.
 *
 * State: a loop forks a child that sleeps 0.2 ms and exits with a code derived from its own
 * PID and the round, and reaps it; so at any moment there may be a child just forked, running,
 * exiting or a zombie, caught by the freeze in any of those states.
 * Check after SIGTERM: every child of every round (those restored mid-life too) exited with its
 * code, found by waitpid for its PID; the loop ran on after each restore (more rounds after
 * zdtm_ready than at it); no child is left over (waitpid(-1) says ECHILD).
 */
#include "zdtm.h"
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

static int code_of(pid_t pid, unsigned long round)
{
	return (int)(((unsigned long)pid * 31 + round) % 120) + 1;
}

int main(int argc, char **argv)
{
	unsigned long round = 0, bad = 0, at_ready;
	int st;

	zdtm_init(argc, argv);
	for (; round < 50; round++) {
		pid_t c = fork();
		if (c < 0)
			zdtm_fail("fork: %m");
		if (c == 0)
			_exit(code_of(getpid(), round));
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != code_of(c, round))
			zdtm_fail("child %d of round %lu ended %#x", c, round, st);
	}
	at_ready = round;
	zdtm_ready();
	while (!zdtm_term_requested()) {
		pid_t c = fork();
		if (c < 0)
			zdtm_fail("fork: %m");
		if (c == 0) {
			usleep(200);
			_exit(code_of(getpid(), round));
		}
		pid_t r;
		do
			r = waitpid(c, &st, 0);
		while (r < 0 && errno == EINTR);
		if (r != c || !WIFEXITED(st) || WEXITSTATUS(st) != code_of(c, round)) {
			zdtm_log("child %d of round %lu: waitpid %d, status %#x", c, round, r, st);
			bad++;
		}
		round++;
	}
	zdtm_log("%lu rounds", round);
	zdtm_check(bad == 0, "%lu children ended wrong", bad);
	zdtm_check(round > at_ready, "no round after zdtm_ready");
	zdtm_check(waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD, "a child is left over");
	zdtm_finish();
}
