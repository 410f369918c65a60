/*
 * pty_async_owner: a pty pair with O_ASYNC on both ends: the master signals a child with a
 * realtime signal (F_SETSIG), the slave signals the test with SIGIO.
 *
 * State: the test holds master M and slave S (ECHO off). M has O_ASYNC, F_SETOWN_EX
 * {F_OWNER_PID, child C} and F_SETSIG SIGRTMIN+5; S has O_ASYNC and F_SETOWN(test), no
 * F_SETSIG. C has an SA_SIGINFO handler for SIGRTMIN+5 and records si_fd/si_code; the test
 * counts SIGIO. Nothing queued either way.
 * Check after SIGTERM: owners, types, F_GETSIG (SIGRTMIN+5 and 0) and O_ASYNC of both ends;
 * no signal came yet, to anyone. The test writes "ping\n" to S: C gets SIGRTMIN+5 within
 * 3 s with si_fd = M and si_code POLL_IN, the test no SIGIO; M reads "ping\r\n". The test
 * writes "pong\n" to M: the test gets SIGIO within 3 s, S reads "pong\n".
 */
#include "pty_util.h"
#include "kid_util.h"
#include <stdio.h>

static volatile int *sh;	/* [0] C ready, [1] C count, [2] si_fd, [3] si_code, [4] C end */
static volatile sig_atomic_t sigio;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sh[2] = si->si_fd;
	sh[3] = si->si_code;
	__atomic_add_fetch(&sh[1], 1, __ATOMIC_SEQ_CST);
}

static void on_io(int sig) { (void)sig; sigio++; }

int main(int argc, char **argv)
{
	struct f_owner_ex own;
	struct sigaction sa;
	struct termios t;
	char buf[64];
	int m, s, i;
	ssize_t n;
	pid_t c, me;

	zdtm_init(argc, argv);
	me = getpid();
	sh = kid_shared_page();
	pty_open_pair(&m, &s, O_NOCTTY);
	tcgetattr(s, &t);
	t.c_lflag &= ~ECHO;
	tcsetattr(s, TCSANOW, &t);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_rt;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigaction(SIGRTMIN + 5, &sa, NULL);
		close(m);
		close(s);
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[4], 1, 1000000))
			;
		_exit(0);
	}
	signal(SIGIO, on_io);
	if (!kid_wait_word(&sh[0], 1, 5000))
		zdtm_fail("C did not start");
	own.type = F_OWNER_PID;
	own.pid = c;
	if (fcntl(m, F_SETOWN_EX, &own) || fcntl(m, F_SETSIG, SIGRTMIN + 5) ||
	    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_ASYNC) || fcntl(s, F_SETOWN, me) ||
	    fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_ASYNC))
		zdtm_fail("fcntl: %m");
	zdtm_sleep_ms(50);
	if (sh[1] || sigio)
		zdtm_fail("signals during set-up: %d, %d", sh[1], (int)sigio);
	zdtm_log("master %d -> child %d, slave %d -> test", m, (int)c, s);

	zdtm_ready();
	zdtm_wait_for_term();

	memset(&own, 0, sizeof(own));
	zdtm_check(fcntl(m, F_GETOWN_EX, &own) == 0 && own.type == F_OWNER_PID && own.pid == c, "M: owner type %d pid %d, expected %d",
		   own.type, own.pid, (int)c);
	zdtm_check(fcntl(m, F_GETSIG) == SIGRTMIN + 5, "M: F_GETSIG %d", fcntl(m, F_GETSIG));
	memset(&own, 0, sizeof(own));
	zdtm_check(fcntl(s, F_GETOWN_EX, &own) == 0 && own.type == F_OWNER_PID && own.pid == me, "S: owner type %d pid %d, expected %d",
		   own.type, own.pid, (int)me);
	zdtm_check(fcntl(s, F_GETSIG) == 0, "S: F_GETSIG %d", fcntl(s, F_GETSIG));
	zdtm_check((fcntl(m, F_GETFL) & O_ASYNC) && (fcntl(s, F_GETFL) & O_ASYNC), "O_ASYNC lost: %#x %#x", fcntl(m, F_GETFL),
		   fcntl(s, F_GETFL));
	zdtm_check(sh[1] == 0 && sigio == 0, "signals before any I/O: C %d, SIGIO %d", sh[1], (int)sigio);
	zdtm_check(write(s, "ping\n", 5) == 5, "write S: %m");
	for (i = 0; i < 300 && !sh[1]; i++)
		zdtm_sleep_ms(10);
	zdtm_check(sh[1] >= 1 && sh[2] == m && sh[3] == POLL_IN, "C: %d signals, si_fd %d code %d; expected si_fd %d POLL_IN", sh[1],
		   sh[2], sh[3], m);
	n = (ssize_t)pty_read_for(m, buf, 6, 2000);
	zdtm_check(n == 6 && !memcmp(buf, "ping\r\n", 6), "M read %zd bytes '%.*s'", n, (int)n, buf);
	zdtm_check(sigio == 0, "the test got SIGIO for the master's input");
	zdtm_check(write(m, "pong\n", 5) == 5, "write M: %m");
	for (i = 0; i < 300 && !sigio; i++)
		zdtm_sleep_ms(10);
	zdtm_check(sigio >= 1, "no SIGIO for the slave's input");
	n = pty_read_once(s, buf, sizeof(buf), 2000);
	zdtm_check(n == 5 && !memcmp(buf, "pong\n", 5), "S read %zd bytes '%.*s'", n, (int)(n > 0 ? n : 0), buf);
	kid_set_word(&sh[4], 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
