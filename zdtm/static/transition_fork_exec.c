/*
 * transition_fork_exec: children forked, exec'd and waited for in a loop the whole time the tree
 * is dumped.
 *
 * State: the root forks a child every round, which execs either this program in a mode of its
 * own (three rounds in four: it checks its argv, sleeps 1 ms and exits with a code computed
 * from the round number it was given and its own PID) or /bin/false (exit 1, another executable); the root
 * waits for it. The dump finds a child just forked (still this program, before exec), inside
 * exec, running the exec'd program, or a zombie.
 * Check: every child exited normally with exactly its code (the root computes it from the
 * round and the child's PID); the exec'd program also checks that it runs with the root as its
 * parent and that its argv is intact (a different code otherwise); after SIGTERM no child is
 * left (waitpid: ECHILD) and rounds went on after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int code_of(uint64_t round, pid_t pid)
{
	return 2 + (int)(zdtm_mix64(round ^ ((uint64_t)pid << 32)) % 200);
}

int main(int argc, char **argv)
{
	uint64_t round = 0, bad = 0, at_ready = 0, execs = 0;
	int st;
	char rbuf[32], pbuf[32];

	if (argc == 5 && !strcmp(argv[1], "--exit-code")) {
		char *end;
		uint64_t r = strtoull(argv[2], &end, 10);
		if (*end || atoi(argv[3]) != getppid() || strcmp(argv[4], "end"))
			return 250;
		usleep(1000);	/* alive for a while in the exec'd image */
		return code_of(r, getpid());
	}

	zdtm_init(argc, argv);
	snprintf(pbuf, sizeof(pbuf), "%d", getpid());
	for (;; round++) {
		if (round == 50) {
			if (bad)
				zdtm_fail("%llu children wrong before zdtm_ready", (unsigned long long)bad);
			at_ready = round;
			zdtm_ready();
		}
		if (round > 50 && zdtm_term_requested())
			break;
		int self = round % 4 != 3;
		snprintf(rbuf, sizeof(rbuf), "%llu", (unsigned long long)round);
		pid_t c = fork();
		if (c < 0)
			zdtm_fail("fork: %m");
		if (c == 0) {
			if (self) {
				char *args[] = { argv[0], "--exit-code", rbuf, pbuf, "end", NULL };
				execv("/proc/self/exe", args);
			} else {
				char *args[] = { "false", NULL };
				execv("/bin/false", args);
			}
			_exit(251);
		}
		pid_t r;
		do
			r = waitpid(c, &st, 0);
		while (r < 0 && errno == EINTR);
		int want = self ? code_of(round, c) : 1;
		if (r != c || !WIFEXITED(st) || WEXITSTATUS(st) != want) {
			if (bad++ < 5)
				zdtm_log("round %llu: child %d (%s): waitpid %d, status %#x, expected exit %d",
					 (unsigned long long)round, c, self ? "self" : "/bin/false", r, st, want);
		}
		execs += self;
	}
	zdtm_log("%llu rounds (%llu at ready), %llu of them exec'd this program", (unsigned long long)round,
		 (unsigned long long)at_ready, (unsigned long long)execs);
	zdtm_check(bad == 0, "%llu children ended wrong", (unsigned long long)bad);
	zdtm_check(round > at_ready + 1, "no round after zdtm_ready");
	zdtm_check(waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD, "a child is left over");
	zdtm_finish();
}
