/*
 * fown_tid: a pipe that signals one thread (F_SETOWN_EX F_OWNER_TID) with F_SETSIG.
 *
 * State: a second thread T sleeping in 20 ms steps; an empty pipe whose read end R has
 * O_ASYNC, F_SETOWN_EX {F_OWNER_TID, T's tid} and F_SETSIG(SIGRTMIN+5); an SA_SIGINFO
 * handler records the tid it runs in, si_fd and si_code. No thread blocks the signal, so
 * a process-directed signal would go to the main thread.
 * Check after SIGTERM: T still has its tid (its own gettid(), /proc/self/task/TID);
 * F_GETOWN_EX of R is F_OWNER_TID with T's tid, F_GETSIG is SIGRTMIN+5, F_GETFL has
 * O_ASYNC; no signal came yet. Behaviour: a forked child writes 2 bytes into the pipe;
 * within 5 s SIGRTMIN+5 arrives, every time in T (handler's gettid() == T's tid), with
 * si_fd = R and si_code POLL_IN; the bytes read back.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got, wrong_tid, bad_fd, bad_code;
static volatile pid_t t_tid, t_tid_now;
static volatile int stop;
static int rfd;

static pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	got++;
	if (gettid_() != t_tid)
		wrong_tid = gettid_();
	if (si->si_fd != rfd)
		bad_fd = si->si_fd + 1000;
	if (si->si_code != POLL_IN)
		bad_code = si->si_code + 1000;
}

static void *thread_fn(void *arg)
{
	(void)arg;
	t_tid = gettid_();
	while (!stop) {
		t_tid_now = gettid_();
		zdtm_sleep_ms(20);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct f_owner_ex own;
	struct sigaction sa;
	struct stat st;
	pthread_t th;
	pid_t tid, child;
	int p[2], fl, i, status;
	char path[64], buf[8];

	zdtm_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN + 5, &sa, NULL))
		zdtm_fail("sigaction: %m");
	if (pthread_create(&th, NULL, thread_fn, NULL))
		zdtm_fail("pthread_create failed");
	while (!t_tid)
		zdtm_sleep_ms(1);
	tid = t_tid;
	if (pipe(p))
		zdtm_fail("pipe: %m");
	rfd = p[0];
	own.type = F_OWNER_TID;
	own.pid = tid;
	if (fcntl(p[0], F_SETOWN_EX, &own) || fcntl(p[0], F_SETSIG, SIGRTMIN + 5) ||
	    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC))
		zdtm_fail("fcntl: %m");
	fl = fcntl(p[0], F_GETFL);
	zdtm_log("thread %d, read end %d, write end %d", tid, p[0], p[1]);

	zdtm_ready();
	zdtm_wait_for_term();

	t_tid_now = 0;
	for (i = 0; i < 100 && !t_tid_now; i++)
		zdtm_sleep_ms(10);
	zdtm_check(t_tid_now == tid, "the thread's gettid() is %d, was %d", t_tid_now, tid);
	snprintf(path, sizeof(path), "/proc/self/task/%d", tid);
	zdtm_check(stat(path, &st) == 0, "%s: %m", path);
	memset(&own, 0, sizeof(own));
	zdtm_check(fcntl(p[0], F_GETOWN_EX, &own) == 0, "F_GETOWN_EX: %m");
	zdtm_check(own.type == F_OWNER_TID && own.pid == tid, "owner type %d pid %d, expected F_OWNER_TID %d",
		   own.type, own.pid, tid);
	zdtm_check(fcntl(p[0], F_GETSIG) == SIGRTMIN + 5, "F_GETSIG %d, expected %d", fcntl(p[0], F_GETSIG), SIGRTMIN + 5);
	zdtm_check(fcntl(p[0], F_GETFL) == fl && (fl & O_ASYNC), "flags %#x, expected %#x", fcntl(p[0], F_GETFL), fl);
	zdtm_check(got == 0, "%d signals before anything was written", (int)got);

	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0)
		_exit(write(p[1], "tt", 2) == 2 ? 0 : 1);
	while (waitpid(child, &status, 0) != child)
		if (errno != EINTR)
			zdtm_fail("waitpid: %m");
	zdtm_check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child could not write");
	for (i = 0; i < 500 && !got; i++)
		zdtm_sleep_ms(10);
	zdtm_check(got > 0, "no SIGRTMIN+5 after the write");
	zdtm_check(!wrong_tid, "the signal ran in thread %d, expected %d", (int)wrong_tid, tid);
	zdtm_check(!bad_fd, "si_fd %d, expected %d", (int)bad_fd - 1000, p[0]);
	zdtm_check(!bad_code, "si_code %d, expected POLL_IN", (int)bad_code - 1000);
	zdtm_check(read(p[0], buf, sizeof(buf)) == 2 && !memcmp(buf, "tt", 2), "pipe data differs");
	stop = 1;
	pthread_join(th, NULL);
	zdtm_finish();
}
