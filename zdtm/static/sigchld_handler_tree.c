/*
 * sigchld_handler_tree: a SIGCHLD handler with SA_NOCLDSTOP over three live children.
 *
 * State: SIGCHLD has an SA_SIGINFO|SA_RESTART|SA_NOCLDSTOP handler that records si_pid,
 * si_code and si_status of each notification; three children wait in pause() with a
 * SIGUSR1 handler that exits with 30 + their index, and SIGUSR2 default (terminate).
 * Check after SIGTERM: sigaction(SIGCHLD) reads back the handler and exactly those flags;
 * no notification came yet. Child 0 gets SIGSTOP then SIGCONT: no notification (SA_NOCLDSTOP
 * covers both). Child 1 gets SIGUSR1 (exits 31), child 0 SIGUSR1 (exits 30), child 2
 * SIGUSR2 (killed). The handler must see exactly three notifications, in that order:
 * CLD_EXITED 31, CLD_EXITED 30, CLD_KILLED SIGUSR2, each with the right si_pid; waitpid
 * then gives the same statuses.
 */
#include "zdtm.h"
#include <poll.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct note { pid_t pid; int code, status; };
static volatile struct note notes[16];
static volatile int n_notes;
static int my_idx;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (n_notes < 16) {
		notes[n_notes].pid = si->si_pid;
		notes[n_notes].code = si->si_code;
		notes[n_notes].status = si->si_status;
	}
	n_notes++;
}

static void on_usr1(int sig)
{
	(void)sig;
	_exit(30 + my_idx);
}

static int wait_notes(int n)
{
	int i;
	for (i = 0; i < 500 && n_notes < n; i++)
		zdtm_sleep_ms(10);
	return n_notes >= n;
}

int main(int argc, char **argv)
{
	struct sigaction sa, got;
	pid_t kids[3];
	int p[2], i, st;
	char b;

	zdtm_init(argc, argv);
	if (pipe(p))
		zdtm_fail("pipe: %m");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	if (sigaction(SIGCHLD, &sa, NULL))
		zdtm_fail("sigaction: %m");
	for (i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			zdtm_fail("fork: %m");
		if (kids[i] == 0) {
			my_idx = i;
			signal(SIGCHLD, SIG_DFL);
			signal(SIGTERM, SIG_IGN);
			signal(SIGUSR1, on_usr1);
			close(p[0]);
			if (write(p[1], "k", 1) != 1)
				_exit(3);
			close(p[1]);
			for (;;)
				pause();
		}
	}
	close(p[1]);
	for (i = 0; i < 3; i++) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &b, 1) != 1)
			zdtm_fail("a child did not start");
	}
	close(p[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	memset(&got, 0, sizeof(got));
	sigaction(SIGCHLD, NULL, &got);
	zdtm_check(got.sa_sigaction == on_chld, "SIGCHLD handler %p, expected %p", (void *)got.sa_sigaction,
		   (void *)on_chld);
	zdtm_check((got.sa_flags & (SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP | SA_NOCLDWAIT | SA_ONSTACK | SA_NODEFER |
				     SA_RESETHAND)) == (SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP),
		   "SIGCHLD flags %#x", got.sa_flags);
	zdtm_check(sigismember(&got.sa_mask, SIGUSR2) && !sigismember(&got.sa_mask, SIGUSR1), "SIGCHLD mask differs");
	zdtm_check(n_notes == 0, "%d SIGCHLD notifications before anything happened", n_notes);

	kill(kids[0], SIGSTOP);
	zdtm_check(waitpid(kids[0], &st, WUNTRACED) == kids[0] && WIFSTOPPED(st), "child 0 did not stop");
	kill(kids[0], SIGCONT);
	zdtm_check(waitpid(kids[0], &st, WCONTINUED) == kids[0] && WIFCONTINUED(st), "child 0 did not continue");
	zdtm_sleep_ms(100);
	zdtm_check(n_notes == 0, "%d SIGCHLD notifications for stop/continue despite SA_NOCLDSTOP", n_notes);

	n_notes = 0;
	kill(kids[1], SIGUSR1);
	zdtm_check(wait_notes(1), "no SIGCHLD for child 1's exit");
	kill(kids[0], SIGUSR1);
	zdtm_check(wait_notes(2), "no SIGCHLD for child 0's exit");
	kill(kids[2], SIGUSR2);
	zdtm_check(wait_notes(3), "no SIGCHLD for child 2's death");
	zdtm_sleep_ms(50);
	zdtm_check(n_notes == 3, "%d SIGCHLD notifications, expected 3", n_notes);
	{
		struct note want[3] = { { kids[1], CLD_EXITED, 31 }, { kids[0], CLD_EXITED, 30 },
					{ kids[2], CLD_KILLED, SIGUSR2 } };
		int wst[3] = { 31 << 8, 30 << 8, SIGUSR2 }, order[3] = { 1, 0, 2 };
		for (i = 0; i < 3 && i < n_notes; i++)
			zdtm_check(notes[i].pid == want[i].pid && notes[i].code == want[i].code &&
				   notes[i].status == want[i].status,
				   "notification %d: pid %d code %d status %d, expected %d %d %d", i, notes[i].pid,
				   notes[i].code, notes[i].status, want[i].pid, want[i].code, want[i].status);
		for (i = 0; i < 3; i++) {
			st = -1;
			zdtm_check(waitpid(kids[order[i]], &st, 0) == kids[order[i]] && st == wst[i],
				   "child %d: wait status %#x, expected %#x", order[i], st, wst[i]);
		}
	}
	zdtm_finish();
}
