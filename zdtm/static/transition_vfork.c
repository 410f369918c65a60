/*
 * transition_vfork: vfork() in a loop the whole time the tree is dumped.
 *
 * State: the root vforks a child every round; the child, which borrows the root's memory
 * until it is done, stores the round number into a variable of the root, every 4th round spins
 * a while (about a millisecond), then either _exit()s
 * with a code of its round (three rounds in four) or execs /bin/true (exit 0); the root,
 * suspended in vfork until then, waits for it. The dump finds the root suspended in vfork with
 * the child running on its memory, or the root running and a child exec'd or a zombie.
 * Check: every round the variable holds the round number the child wrote (the child really
 * shared the root's memory), every child exited with its code; after SIGTERM no child is left
 * (waitpid: ECHILD) and rounds went on after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile uint64_t written_by_child;

static int code_of(uint64_t round)
{
	return 1 + (int)(round * 37 % 200);
}

int main(int argc, char **argv)
{
	uint64_t round = 0, bad = 0, at_ready = 0;
	int st;

	zdtm_init(argc, argv);
	for (;; round++) {
		if (round == 100) {
			if (bad)
				zdtm_fail("%llu children wrong before zdtm_ready", (unsigned long long)bad);
			at_ready = round;
			zdtm_ready();
		}
		if (round > 100 && zdtm_term_requested())
			break;
		int exec_true = round % 4 == 3;
		written_by_child = UINT64_MAX;
		pid_t c = vfork();
		if (c < 0)
			zdtm_fail("vfork: %m");
		if (c == 0) {
			written_by_child = round;
			if (round % 4 == 1)	/* a while on the borrowed memory */
				for (volatile int i = 0; i < 200000; i++)
					;
			if (exec_true) {
				char *args[] = { "true", NULL };
				execv("/bin/true", args);
			}
			_exit(exec_true ? 253 : code_of(round));
		}
		uint64_t seen = written_by_child;
		pid_t r;
		do
			r = waitpid(c, &st, 0);
		while (r < 0 && errno == EINTR);
		int want = exec_true ? 0 : code_of(round);
		if ((seen != round || r != c || !WIFEXITED(st) || WEXITSTATUS(st) != want) && bad++ < 5)
			zdtm_log("round %llu child %d: wrote %llu, waitpid %d status %#x, expected exit %d",
				 (unsigned long long)round, c, (unsigned long long)seen, r, st, want);
	}
	zdtm_log("%llu rounds (%llu at ready)", (unsigned long long)round, (unsigned long long)at_ready);
	zdtm_check(bad == 0, "%llu children wrong", (unsigned long long)bad);
	zdtm_check(round > at_ready + 1, "no round after zdtm_ready");
	zdtm_check(waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD, "a child is left over");
	zdtm_finish();
}
