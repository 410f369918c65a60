/*
 * transition_rt_sigqueue_flood: a realtime signal queue kept full to RLIMIT_SIGPENDING while
 * the tree is dumped.
 *
 * State: as transition_rt_sigqueue, without the sender's limit: a child sends SIGRTMIN to the
 * parent with sigqueue(), payload n for n = 0, 1, 2..., as fast as it can (on EAGAIN, the
 * queue full, it waits 0.5 ms and retries the same n); the parent keeps SIGRTMIN blocked and
 * takes the signals with sigtimedwait() in bursts of 256 with 2 ms pauses, slower than they
 * come, so the queue grows to the user's RLIMIT_SIGPENDING (tens of thousands of signals with
 * their payloads) and stays there: the dump and the restore must carry a full queue (and the
 * restore cannot queue one more signal for the same user). While it runs, other processes of
 * the same user cannot queue signals with info either: noauto.
 * Check: every signal the parent takes is SIGRTMIN from the child (si_pid, SI_QUEUE) with the
 * next payload: none lost, repeated or reordered across a checkpoint; after SIGTERM the child
 * stops and reports through a pipe how many it sent, the parent takes what is still queued and
 * has exactly that many; nothing else is pending; more arrived after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	sigset_t rt, pend;
	int rep[2], st;
	pid_t parent, child;
	uint64_t want = 0, bad = 0, at_ready = 0, sent;
	siginfo_t si;

	zdtm_init(argc, argv);
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	if (sigprocmask(SIG_BLOCK, &rt, NULL))
		zdtm_fail("sigprocmask: %m");
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
