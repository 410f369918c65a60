/*
 * transition_zombies: children that exit at once and are reaped late, the whole time the tree is
 * dumped, so several zombies exist at any moment.
 *
 * State: a ring of 8 children: each round the root forks a child that exits at once with a code
 * of its own (from its PID and round), or every 4th round dies by a signal it sends itself
 * (SIGUSR1, SIGUSR2 or SIGKILL by turns); then the root reaps the oldest child of the ring,
 * forked 8 rounds ago, first looking at it with waitid(WNOWAIT) and only then reaping it with
 * waitpid. The dump finds up to 8 zombies (and a child or two still running).
 * Check: for every child, waitid(WNOWAIT) and then waitpid give the same status and it is the
 * child's own exit code or death signal; a zombie stays one until reaped (the second look still
 * finds it); after SIGTERM the ring is reaped, no child is left (waitpid: ECHILD); rounds went
 * on after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RING 8

static const int sigs[3] = { SIGUSR1, SIGUSR2, SIGKILL };

/* Exit code (>0) or -signal of round r's child with PID pid. */
static int fate(uint64_t r, pid_t pid)
{
	if (r % 4 == 3)
		return -sigs[(r / 4) % 3];
	return 1 + (int)(zdtm_mix64(r * 7919 + (uint64_t)pid) % 250);
}

struct kid { pid_t pid; uint64_t round; };

static uint64_t bad;

static void reap(struct kid *k)
{
	siginfo_t si;
	int st, want = fate(k->round, k->pid);
	memset(&si, 0, sizeof(si));
	int r;
	do
		r = waitid(P_PID, k->pid, &si, WEXITED | WNOWAIT);
	while (r < 0 && errno == EINTR);
	int look = r == 0 && si.si_pid == k->pid &&
		   (want > 0 ? si.si_code == CLD_EXITED && si.si_status == want
			     : (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) && si.si_status == -want);
	pid_t w;
	do
		w = waitpid(k->pid, &st, 0);
	while (w < 0 && errno == EINTR);
	int reaped = w == k->pid && (want > 0 ? WIFEXITED(st) && WEXITSTATUS(st) == want
					    : WIFSIGNALED(st) && WTERMSIG(st) == -want);
	if ((!look || !reaped) && bad++ < 5)
		zdtm_log("round %llu child %d: waitid %d (pid %d code %d status %d), waitpid %d status %#x, expected %d",
			 (unsigned long long)k->round, k->pid, r, si.si_pid, si.si_code, si.si_status, w, st, want);
	k->pid = 0;
}

int main(int argc, char **argv)
{
	struct kid ring[RING];
	uint64_t round = 0, at_ready = 0;
	int st;

	zdtm_init(argc, argv);
	memset(ring, 0, sizeof(ring));
	for (;; round++) {
		if (round == 100) {
			if (bad)
				zdtm_fail("%llu children wrong before zdtm_ready", (unsigned long long)bad);
			at_ready = round;
			zdtm_ready();
		}
		if (round > 100 && zdtm_term_requested())
			break;
		struct kid *k = &ring[round % RING];
		if (k->pid)
			reap(k);
		pid_t c = fork();
		if (c < 0)
			zdtm_fail("fork: %m");
		if (c == 0) {
			int f = fate(round, getpid());
			if (f < 0) {
				signal(-f, SIG_DFL);
				kill(getpid(), -f);
				_exit(252);
			}
			_exit(f);
		}
		k->pid = c;
		k->round = round;
		usleep(300);
	}
	for (uint64_t r = round; r < round + RING; r++)
		if (ring[r % RING].pid)
			reap(&ring[r % RING]);
	zdtm_log("%llu children (%llu at ready)", (unsigned long long)round, (unsigned long long)at_ready);
	zdtm_check(bad == 0, "%llu children ended wrong", (unsigned long long)bad);
	zdtm_check(round > at_ready + 1, "no round after zdtm_ready");
	zdtm_check(waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD, "a child is left over");
	zdtm_finish();
}
