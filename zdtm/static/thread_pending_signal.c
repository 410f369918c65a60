/*
 * thread_pending_signal: signals pending on a second thread's own queue and on the process.
 *
 * State: every thread blocks SIGUSR1, SIGUSR2 and SIGRTMIN+2. The main thread sent thread T
 * SIGUSR1 (tgkill) and SIGRTMIN+2 twice with payloads 1234 and 5678
 * (pthread_sigqueue); the process got SIGUSR2 from kill(). T waits in nanosleep.
 * Check after SIGTERM: /proc/self/task/T/status SigPnd is exactly SIGUSR1|SIGRTMIN+2 and
 * ShdPnd exactly SIGUSR2; the main thread's SigPnd is empty. T then takes its signals with
 * rt_sigtimedwait (timeout 0): SIGUSR1 with si_code SI_TKILL from our pid, SIGRTMIN+2 twice
 * with SI_QUEUE and payloads 1234 then 5678, then nothing more on its own queue; the main
 * thread takes SIGUSR2 (SI_USER, our pid) from the process queue, once.
 */
#include "zdtm.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile int stop, started, t_result;
static volatile pid_t t_tid;
static int rt2;

static unsigned long long status_mask(pid_t tid, const char *key)
{
	char path[64], buf[4096], *p;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strstr(buf, key);
	return p ? strtoull(p + strlen(key), NULL, 16) : ~0ULL;
}

static int take(int sig, siginfo_t *si)
{
	struct timespec zero = { 0, 0 };
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	memset(si, 0, sizeof(*si));
	/* raw: glibc's sigtimedwait() turns SI_TKILL into SI_USER */
	return syscall(SYS_rt_sigtimedwait, &s, si, &zero, 8);
}

static void *run(void *arg)
{
	siginfo_t si;
	int bad = 0;
	(void)arg;
	t_tid = gettid();
	started = 1;
	while (!stop)
		zdtm_sleep_ms(20);
	if (take(SIGUSR1, &si) != SIGUSR1 || si.si_code != SI_TKILL || si.si_pid != getpid())
		bad |= 1;
	if (take(rt2, &si) != rt2 || si.si_code != SI_QUEUE || si.si_value.sival_int != 1234)
		bad |= 2;
	if (take(rt2, &si) != rt2 || si.si_code != SI_QUEUE || si.si_value.sival_int != 5678)
		bad |= 4;
	if (take(rt2, &si) != -1 || take(SIGUSR1, &si) != -1)
		bad |= 8;
	t_result = bad ? bad : 42;
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long long u1, u2, r2;
	sigset_t set;
	union sigval v;
	siginfo_t si;
	pthread_t t;

	zdtm_init(argc, argv);
	rt2 = SIGRTMIN + 2;
	u1 = 1ULL << (SIGUSR1 - 1);
	u2 = 1ULL << (SIGUSR2 - 1);
	r2 = 1ULL << (rt2 - 1);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, rt2);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&t, NULL, run, NULL))
		zdtm_fail("pthread_create failed");
	sigdelset(&set, SIGTERM);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	while (!started)
		zdtm_sleep_ms(1);
	syscall(SYS_tgkill, getpid(), t_tid, SIGUSR1);	/* raw: glibc's pthread_kill says SI_USER */
	v.sival_int = 1234;
	pthread_sigqueue(t, rt2, v);
	v.sival_int = 5678;
	pthread_sigqueue(t, rt2, v);
	kill(getpid(), SIGUSR2);
	if (status_mask(t_tid, "\nSigPnd:") != (u1 | r2) || status_mask(t_tid, "\nShdPnd:") != u2)
		zdtm_fail("signals not pending as intended before the checkpoint");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(status_mask(t_tid, "\nSigPnd:") == (u1 | r2), "T: SigPnd %#llx, expected %#llx",
		   status_mask(t_tid, "\nSigPnd:"), u1 | r2);
	zdtm_check(status_mask(t_tid, "\nShdPnd:") == u2, "ShdPnd %#llx, expected %#llx (SIGUSR2)",
		   status_mask(t_tid, "\nShdPnd:"), u2);
	zdtm_check(status_mask(gettid(), "\nSigPnd:") == 0, "main thread: SigPnd %#llx, expected empty",
		   status_mask(gettid(), "\nSigPnd:"));
	stop = 1;
	pthread_join(t, NULL);
	zdtm_check(t_result == 42, "T took its signals wrongly (%d: 1 SIGUSR1, 2/4 SIGRTMIN+2 payloads, 8 extra)",
		   t_result);
	zdtm_check(take(SIGUSR2, &si) == SIGUSR2 && si.si_code == SI_USER && si.si_pid == getpid(),
		   "main: SIGUSR2 not taken from the process queue (code %d pid %d)", si.si_code, si.si_pid);
	zdtm_check(take(SIGUSR2, &si) == -1 && errno == EAGAIN, "SIGUSR2 pending twice");
	zdtm_finish();
}
