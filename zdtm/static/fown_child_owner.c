/*
 * fown_child_owner: pipes of the test whose SIGIO owners are another process of the tree:
 * its child (F_OWNER_PID) and a thread of that child (F_OWNER_TID).
 *
 * State: child C runs a second thread T; both have an SA_SIGINFO handler for SIGRTMIN+2
 * and SIGRTMIN+3 recording the receiving tid, si_fd and si_code. The test holds two empty
 * pipes: P1's read end (fd A) has O_ASYNC, F_SETOWN_EX {F_OWNER_PID, C}, F_SETSIG
 * SIGRTMIN+2; P2's read end (fd B) has O_ASYNC, F_SETOWN_EX {F_OWNER_TID, T}, F_SETSIG
 * SIGRTMIN+3. C holds neither pipe.
 * Check after SIGTERM: F_GETOWN_EX/F_GETSIG of A and B as set, O_ASYNC on both; no signal
 * came yet. The test writes into P1: C gets SIGRTMIN+2 with si_fd = A (the test's number),
 * POLL_IN. It writes into P2: SIGRTMIN+3 arrives in thread T itself, si_fd = B. Data reads
 * back.
 */
#include "kid_util.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>

static volatile int *sh;	/* [0] C pid [1] T tid [2] go/end; [8+4k..]: signal k: count, tid, fd, code */

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	int k = sig == SIGRTMIN + 2 ? 0 : 1;
	(void)uc;
	sh[9 + 4 * k] = (int)syscall(SYS_gettid);
	sh[10 + 4 * k] = si->si_fd;
	sh[11 + 4 * k] = si->si_code;
	__atomic_add_fetch(&sh[8 + 4 * k], 1, __ATOMIC_SEQ_CST);
}

static void *thr(void *x)
{
	(void)x;
	kid_set_word(&sh[1], (int)syscall(SYS_gettid));
	while (!kid_wait_word(&sh[2], 1, 1000000))
		;
	return NULL;
}

int main(int argc, char **argv)
{
	struct f_owner_ex own;
	int p1[2], p2[2], i;
	char buf[8];
	pid_t c, t;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		struct sigaction sa;
		pthread_t th;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sig;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigaction(SIGRTMIN + 2, &sa, NULL);
		sigaction(SIGRTMIN + 3, &sa, NULL);
		if (pthread_create(&th, NULL, thr, NULL))
			_exit(10);
		pthread_join(th, NULL);
		_exit(0);
	}
	if (!kid_wait_word(&sh[1], 1, 5000))
		zdtm_fail("C's thread did not start");
	t = sh[1];
	if (pipe(p1) || pipe(p2))
		zdtm_fail("pipe: %m");
	own = (struct f_owner_ex){ F_OWNER_PID, c };
	if (fcntl(p1[0], F_SETOWN_EX, &own) || fcntl(p1[0], F_SETSIG, SIGRTMIN + 2) ||
	    fcntl(p1[0], F_SETFL, fcntl(p1[0], F_GETFL) | O_ASYNC))
		zdtm_fail("fcntl A: %m");
	own = (struct f_owner_ex){ F_OWNER_TID, t };
	if (fcntl(p2[0], F_SETOWN_EX, &own) || fcntl(p2[0], F_SETSIG, SIGRTMIN + 3) ||
	    fcntl(p2[0], F_SETFL, fcntl(p2[0], F_GETFL) | O_ASYNC))
		zdtm_fail("fcntl B: %m");
	zdtm_log("A %d -> C %d, B %d -> T %d", p1[0], (int)c, p2[0], (int)t);

	zdtm_ready();
	zdtm_wait_for_term();

	memset(&own, 0, sizeof(own));
	zdtm_check(fcntl(p1[0], F_GETOWN_EX, &own) == 0 && own.type == F_OWNER_PID && own.pid == c, "A: owner %d/%d, expected PID %d",
		   own.type, own.pid, (int)c);
	memset(&own, 0, sizeof(own));
	zdtm_check(fcntl(p2[0], F_GETOWN_EX, &own) == 0 && own.type == F_OWNER_TID && own.pid == t, "B: owner %d/%d, expected TID %d",
		   own.type, own.pid, (int)t);
	zdtm_check(fcntl(p1[0], F_GETSIG) == SIGRTMIN + 2 && fcntl(p2[0], F_GETSIG) == SIGRTMIN + 3, "F_GETSIG %d %d",
		   fcntl(p1[0], F_GETSIG), fcntl(p2[0], F_GETSIG));
	zdtm_check((fcntl(p1[0], F_GETFL) & O_ASYNC) && (fcntl(p2[0], F_GETFL) & O_ASYNC), "O_ASYNC lost");
	zdtm_check(sh[8] == 0 && sh[12] == 0, "signals before any write: %d %d", sh[8], sh[12]);
	zdtm_check(write(p1[1], "one", 3) == 3, "write P1: %m");
	for (i = 0; i < 300 && !sh[8]; i++)
		zdtm_sleep_ms(10);
	zdtm_check(sh[8] >= 1 && sh[10] == p1[0] && sh[11] == POLL_IN, "P1: %d signals, si_fd %d code %d; expected si_fd %d POLL_IN",
		   sh[8], sh[10], sh[11], p1[0]);
	zdtm_check(sh[12] == 0, "SIGRTMIN+3 came for a write into P1");
	zdtm_check(write(p2[1], "two", 3) == 3, "write P2: %m");
	for (i = 0; i < 300 && !sh[12]; i++)
		zdtm_sleep_ms(10);
	zdtm_check(sh[12] >= 1 && sh[13] == t && sh[14] == p2[0] && sh[15] == POLL_IN,
		   "P2: %d signals in tid %d, si_fd %d code %d; expected tid %d si_fd %d POLL_IN", sh[12], sh[13], sh[14], sh[15], (int)t,
		   p2[0]);
	zdtm_check(read(p1[0], buf, 8) == 3 && !memcmp(buf, "one", 3) && read(p2[0], buf, 8) == 3 && !memcmp(buf, "two", 3),
		   "pipe data differs");
	kid_set_word(&sh[2], 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
