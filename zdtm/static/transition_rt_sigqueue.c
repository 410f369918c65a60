/*
 * transition_rt_sigqueue: realtime signals queued to the root the whole time the tree is dumped.
 *
 * State: a child sends SIGRTMIN to the parent with sigqueue(), payload n for n = 0, 1, 2...,
 * as fast as it can while it is less than 600 ahead of the parent (a shared counter of what
 * the parent took; on EAGAIN it waits a little and retries the same n); the parent keeps
 * SIGRTMIN blocked and takes the signals with sigtimedwait() in bursts with pauses between, so
 * the dump finds up to 600 of them queued, with their payloads, and the sender in the middle
 * of sending.
 * Check: every signal the parent takes is SIGRTMIN from the child (si_pid, SI_QUEUE) with the
 * next payload: none lost, repeated or reordered across a checkpoint; after SIGTERM the child
 * stops and reports through a pipe how many it sent, the parent takes what is still queued and
 * has exactly that many; nothing else is pending; more arrived after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define AHEAD 600	/* signals queued at most */

int main(int argc, char **argv)
{
	sigset_t rt, pend;
	int rep[2], st;
	pid_t parent, child;
	uint64_t want = 0, bad = 0, at_ready = 0, sent;
	siginfo_t si;
	uint64_t *taken;	/* shared: how many the parent took, so the sender stays at most AHEAD in front */

	zdtm_init(argc, argv);
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	if (sigprocmask(SIG_BLOCK, &rt, NULL))
		zdtm_fail("sigprocmask: %m");
	taken = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (taken == MAP_FAILED)
		zdtm_fail("mmap: %m");
	if (pipe(rep))
		zdtm_fail("pipe: %m");
	parent = getpid();
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		uint64_t n = 0;
		close(rep[0]);
		while (!zdtm_term_requested()) {
			union sigval v = { .sival_ptr = (void *)(uintptr_t)n };
			if (n - __atomic_load_n(taken, __ATOMIC_ACQUIRE) >= AHEAD) {
				usleep(200);
				continue;
			}
			if (sigqueue(parent, SIGRTMIN, v) == 0)
				n++;
			else if (errno == EAGAIN)
				usleep(500);
			else if (errno != EINTR)
				_exit(10);
		}
		if (write(rep[1], &n, sizeof(n)) != sizeof(n))
			_exit(11);
		_exit(0);
	}
	close(rep[1]);

	for (int phase = 0; phase < 3; phase++) {
		for (;;) {
			if (phase == 0 && want >= 2000)
				break;
			if (phase == 1 && zdtm_term_requested())
				break;
			struct timespec ts = { phase == 2 ? 0 : 1, 0 };
			int s = sigtimedwait(&rt, &si, &ts);
			if (s < 0 && errno == EINTR)
				continue;
			if (s < 0 && errno == EAGAIN) {
				if (phase == 2)
					break;	/* the queue is empty and the sender gone */
				continue;
			}
			if (s < 0)
				zdtm_fail("sigtimedwait: %m");
			uint64_t v = (uintptr_t)si.si_value.sival_ptr;
			if (s != SIGRTMIN || si.si_code != SI_QUEUE || si.si_pid != child || v != want) {
				if (bad++ < 5)
					zdtm_log("signal %d code %d from %d value %llu, expected %llu", s, si.si_code,
						 si.si_pid, (unsigned long long)v, (unsigned long long)want);
				want = v;
			}
			want++;
			__atomic_store_n(taken, want, __ATOMIC_RELEASE);
			/* Take them in bursts, so that the queue is seldom empty. */
			if (phase < 2 && want % 256 == 0)
				usleep(2000);
		}
		if (phase == 0) {
			at_ready = want;
			zdtm_ready();
		} else if (phase == 1) {
			kill(child, SIGTERM);
			if (waitpid(child, &st, 0) != child)
				zdtm_fail("waitpid: %m");
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				zdtm_fail("sender ended %#x", st);
		}
	}
	if (read(rep[0], &sent, sizeof(sent)) != sizeof(sent))
		zdtm_fail("no report from the sender");
	sigpending(&pend);
	zdtm_log("%llu signals taken (%llu at ready), %llu sent", (unsigned long long)want, (unsigned long long)at_ready,
		 (unsigned long long)sent);
	zdtm_check(bad == 0, "%llu signals out of sequence", (unsigned long long)bad);
	zdtm_check(want == sent, "took %llu signals, %llu were sent", (unsigned long long)want, (unsigned long long)sent);
	for (int s = 1; s < NSIG; s++)
		zdtm_check(!sigismember(&pend, s), "signal %d still pending", s);
	zdtm_check(want > at_ready, "no signal after zdtm_ready");
	zdtm_finish();
}
