/*
 * transition_sig_pingpong: standard signals bounced between the root and a child the whole time
 * the tree is dumped.
 *
 * State: the parent sends SIGUSR1 to the child and waits for SIGUSR2 back; the child waits for
 * SIGUSR1 and answers with SIGUSR2. Both keep the signals blocked and take them with
 * sigtimedwait() (a signal that would be merged or lost is never in flight twice: exactly one
 * is pending somewhere, or being sent, at any moment). Odd rounds use kill(), even rounds
 * sigqueue() with the round number as payload; each side counts rounds in its own memory.
 * Check: every signal taken is the expected one from the other process (si_pid, SI_USER or
 * SI_QUEUE by the round, payload = round); none is lost (the parent waits at most 20 s for an
 * answer) and none comes twice; after SIGTERM the parent finishes its round, stops the child,
 * which reports through a pipe how many rounds it answered and how many signals were wrong:
 * exactly as many as the parent completed, none wrong; nothing is left pending; rounds went on
 * after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Sends sig for round n to pid: kill() in odd rounds, sigqueue(n) in even ones. */
static int send_round(pid_t pid, int sig, uint64_t n)
{
	if (n % 2)
		return kill(pid, sig);
	union sigval v = { .sival_ptr = (void *)(uintptr_t)n };
	return sigqueue(pid, sig, v);
}

static int right(const siginfo_t *si, int s, int sig, pid_t from, uint64_t n)
{
	if (s != sig || si->si_pid != from)
		return 0;
	if (n % 2)
		return si->si_code == SI_USER;
	return si->si_code == SI_QUEUE && (uintptr_t)si->si_value.sival_ptr == n;
}

/*
 * sigtimedwait for sig until it comes, max_waits waits of 100 ms time out in a row (-1; a
 * checkpoint interrupts one wait at most, so this is time the process really waited) or
 * SIGTERM came when stop_on_term (-2).
 */
static int take(int sig, siginfo_t *si, int max_waits, int stop_on_term)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	for (int waits = 0; max_waits < 0 || waits < max_waits;) {
		if (stop_on_term && zdtm_term_requested())
			return -2;
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		int s = sigtimedwait(&set, si, &ts);
		if (s > 0)
			return s;
		if (errno == EAGAIN)
			waits++;
		else if (errno != EINTR)
			zdtm_fail("sigtimedwait: %m");
	}
	return -1;
}

int main(int argc, char **argv)
{
	sigset_t both, pend;
	int rep[2], st;
	pid_t parent, child;
	uint64_t rounds = 0, bad = 0, lost = 0, at_ready = 0, msg[2] = { 0, 0 };
	siginfo_t si;

	zdtm_init(argc, argv);
	sigemptyset(&both);
	sigaddset(&both, SIGUSR1);
	sigaddset(&both, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &both, NULL))
		zdtm_fail("sigprocmask: %m");
	if (pipe(rep))
		zdtm_fail("pipe: %m");
	parent = getpid();
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		uint64_t n = 0, wrong = 0;
		close(rep[0]);
		for (;;) {
			int s = take(SIGUSR1, &si, -1, 1);
			if (s == -2)
				break;
			if (!right(&si, s, SIGUSR1, parent, n))
				wrong++;
			if (send_round(parent, SIGUSR2, n))
				_exit(10);
			n++;
		}
		uint64_t m[2] = { n, wrong };
		if (write(rep[1], m, sizeof(m)) != sizeof(m))
			_exit(11);
		_exit(0);
	}
	close(rep[1]);
	for (;;) {
		if (rounds == 1000 && !at_ready) {
			at_ready = rounds;
			zdtm_ready();
		}
		if (at_ready && zdtm_term_requested())
			break;
		if (send_round(child, SIGUSR1, rounds))
			zdtm_fail("send: %m");
		/* The answer must come: a checkpoint takes seconds at most. */
		int s = take(SIGUSR2, &si, 200, 0);
		if (s < 0) {
			zdtm_log("round %llu: no answer within 20 s", (unsigned long long)rounds);
			lost++;
			break;
		}
		if (!right(&si, s, SIGUSR2, child, rounds) && bad++ < 5)
			zdtm_log("round %llu: signal %d code %d from %d value %llu", (unsigned long long)rounds, s,
				 si.si_code, si.si_pid, (unsigned long long)(uintptr_t)si.si_value.sival_ptr);
		rounds++;
	}
	kill(child, SIGTERM);
	if (waitpid(child, &st, 0) != child)
		zdtm_fail("waitpid: %m");
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child ended %#x", st);
	zdtm_check(read(rep[0], msg, sizeof(msg)) == sizeof(msg), "no report from the child");
	sigpending(&pend);
	zdtm_log("%llu rounds (%llu at ready), the child answered %llu", (unsigned long long)rounds,
		 (unsigned long long)at_ready, (unsigned long long)msg[0]);
	zdtm_check(lost == 0, "a signal was lost");
	zdtm_check(bad == 0, "%llu wrong answers", (unsigned long long)bad);
	zdtm_check(msg[1] == 0, "the child took %llu wrong signals", (unsigned long long)msg[1]);
	zdtm_check(msg[0] == rounds, "the child answered %llu rounds, the parent completed %llu",
		   (unsigned long long)msg[0], (unsigned long long)rounds);
	zdtm_check(!sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2), "a signal is still pending");
	zdtm_check(rounds > at_ready, "no round after zdtm_ready");
	zdtm_finish();
}
