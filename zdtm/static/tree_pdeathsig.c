/*
 * tree_pdeathsig: parent-death signals in a child and a grandchild.
 *
 * State: the root R forks C with PR_SET_PDEATHSIG SIGUSR1 (a counting handler); C forks G
 * with PR_SET_PDEATHSIG SIGUSR2 (a handler that sets a flag). A shared anonymous page holds
 * G's report and the phase of the test.
 * Check after SIGTERM: G has not reported (no death signal came early, e.g. from a helper
 * of the restore exiting); C, sent SIGTERM, checks PR_GET_PDEATHSIG == SIGUSR1, that its
 * handler never ran, its ppid, that G is its live child, and exits 42 without reaping G. C's
 * death must send G SIGUSR2: G then checks PR_GET_PDEATHSIG == SIGUSR2, that it was not
 * signalled before the root allowed it (phase), that it was reparented, and reports 42
 * through the shared page.
 */
#include "zdtm.h"
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
	volatile int phase;		/* 1 once the root is about to end C */
	volatile int g_ready, g_result, g_phase_seen, g_sig, g_ppid;
};
static struct shared *sh;
static volatile int c_usr1, g_usr2;

static void on_usr1(int sig) { (void)sig; c_usr1++; }
static void on_usr2(int sig) { (void)sig; g_usr2++; }

static void grandchild(pid_t c) __attribute__((noreturn));
static void grandchild(pid_t c)
{
	sigset_t block, old;
	int sig = 0;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &old);
	signal(SIGUSR2, on_usr2);
	signal(SIGTERM, SIG_IGN);
	if (prctl(PR_SET_PDEATHSIG, SIGUSR2) || getppid() != c)
		_exit(3);
	sh->g_ready = 1;
	sigdelset(&old, SIGUSR2);
	while (!g_usr2)
		sigsuspend(&old);
	sh->g_phase_seen = sh->phase;
	prctl(PR_GET_PDEATHSIG, &sig);
	sh->g_sig = sig;
	sh->g_ppid = getppid();
	sh->g_result = (sh->g_phase_seen == 1 && sig == SIGUSR2 && getppid() != c && g_usr2 == 1) ? 42 : 1;
	_exit(0);
}

int main(int argc, char **argv)
{
	pid_t c, me;
	int i, st = 0;

	zdtm_init(argc, argv);
	me = getpid();
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		zdtm_fail("mmap: %m");
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		pid_t cme = getpid(), g;
		int sig = 0;
		signal(SIGUSR1, on_usr1);
		if (prctl(PR_SET_PDEATHSIG, SIGUSR1))
			_exit(3);
		g = fork();
		if (g < 0)
			_exit(4);
		if (g == 0)
			grandchild(cme);
		zdtm_wait_for_term();
		prctl(PR_GET_PDEATHSIG, &sig);
		zdtm_check(sig == SIGUSR1, "C: parent-death signal %d, expected SIGUSR1 (%d)", sig, SIGUSR1);
		zdtm_check(c_usr1 == 0, "C: its parent-death signal came %d times", c_usr1);
		zdtm_check(getpid() == cme && getppid() == me, "C: pid %d ppid %d, expected %d %d", getpid(),
			   getppid(), cme, me);
		zdtm_check(waitpid(g, &st, WNOHANG) == 0, "C: G (%d) is not a live child: status %#x", g, st);
		_exit(zdtm_failures() ? 1 : 42);	/* G is left to be reparented */
	}
	for (i = 0; i < 1000 && !sh->g_ready; i++)
		zdtm_sleep_ms(10);
	if (!sh->g_ready)
		zdtm_fail("the grandchild did not start");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(sh->g_result == 0, "G got its parent-death signal before C ended (result %d, phase %d)",
		   sh->g_result, sh->g_phase_seen);
	sh->phase = 1;
	kill(c, SIGTERM);
	for (i = 0; i < 1000 && waitpid(c, &st, WNOHANG) == 0; i++)
		zdtm_sleep_ms(10);
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 42, "C ended with status %#x, expected exit 42", st);
	for (i = 0; i < 500 && !sh->g_result; i++)
		zdtm_sleep_ms(10);
	zdtm_check(sh->g_result == 42,
		   "G: result %d (0: no SIGUSR2 within 5 s after C ended): phase %d, signal %d, ppid %d, C was %d",
		   sh->g_result, sh->g_phase_seen, sh->g_sig, sh->g_ppid, c);
	zdtm_finish();
}
