/*
 * child_process: a forked child waiting, restored as the child of the
 * restored parent with its own PID.
 *
 * State: a child process in pause(), with SIGKILL as its parent-death
 * signal and a SIGUSR1 handler that makes it exit with a status derived
 * from a pattern it keeps in memory, its parent-death signal and its parent.
 * Check after SIGTERM: the child is alive, still our child (waitpid
 * WNOHANG returns 0) in our session; sent SIGUSR1, it exits with status
 * 42 when its memory pattern is intact, PR_GET_PDEATHSIG still says SIGKILL
 * and getppid() is still the parent (43, 44, 45 say which is not).
 */
#include "zdtm.h"
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static uint8_t pattern[4096];
static pid_t parent;

static void on_usr1(int sig)
{
	int pdeath = 0;
	(void)sig;
	if (zdtm_verify(pattern, sizeof(pattern), 17) >= 0)
		_exit(43);
	if (prctl(PR_GET_PDEATHSIG, &pdeath) || pdeath != SIGKILL)
		_exit(44);
	_exit(getppid() == parent ? 42 : 45);
}

int main(int argc, char **argv)
{
	pid_t child, sid;
	int st = 0;

	zdtm_init(argc, argv);
	sid = getsid(0);
	parent = getpid();
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGTERM, SIG_IGN);
		signal(SIGUSR1, on_usr1);
		zdtm_fill(pattern, sizeof(pattern), 17);
		for (;;)
			pause();
	}

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(kill(child, 0) == 0, "child %d is gone", child);
	zdtm_check(waitpid(child, &st, WNOHANG) == 0, "child %d has exited (status %#x)", child, st);
	zdtm_check(getsid(child) == sid, "child is in session %d, expected %d", getsid(child), sid);
	kill(child, SIGUSR1);
	if (zdtm_check(waitpid(child, &st, 0) == child, "waitpid: %m"))
		zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 42, "child ended with status %#x (43: memory, 44: parent-death signal, 45: parent)", st);
	zdtm_finish();
}
