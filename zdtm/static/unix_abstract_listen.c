/*
 * unix_abstract_listen: a stream listener bound to an abstract name (leading NUL), with an
 * accepted connection carrying data and a second connection still pending.
 *
 * State: listener L bound to the abstract name "zdtm-abs-listen.TAG" (no trailing NUL),
 * listen(L, 3); client C1 connected and accepted as S1, C1 sent 800 bytes (seed 180) and S1 sent
 * 90 (seed 181); client C2 connected, not accepted, C2 sent 45 bytes (seed 182).
 * Check after SIGTERM: getsockname(L) and getsockname(S1) are the abstract name, byte for byte
 * and with the same length; getpeername(C1), getpeername(C2) too; the queued data of C1/S1;
 * accept returns C2's connection holding its 45 bytes, then EAGAIN; a new client connects by
 * the name; connecting to the same name plus a trailing NUL byte (another abstract name) is
 * refused.
 * (TAG: the pid and a hash of the run directory, so concurrent runs do not clash.)
 */
#include "unix_util.h"

int main(int argc, char **argv)
{
	int l, c1, s1, c2, s2, n;
	char name[64], buf[8];
	struct ut_addr abs, longer, a;
	size_t got;

	zdtm_init(argc, argv);
	snprintf(name, sizeof(name), "zdtm-abs-listen.%s", ut_tag());
	abs = ut_abstract_addr(name, strlen(name));
	longer = ut_abstract_addr(name, strlen(name) + 1);
	l = ut_listener(SOCK_STREAM, &abs, 3);
	c1 = ut_connected(SOCK_STREAM, &abs);
	c2 = ut_socket(SOCK_STREAM);
	s1 = ut_accept_nb(l);
	if (s1 < 0 || ut_connect(c2, &abs))
		zdtm_fail("accept/connect: %m");
	if (ut_send_pattern(c1, 800, 180, 0) || ut_send_pattern(s1, 90, 181, 0) || ut_send_pattern(c2, 45, 182, 0))
		zdtm_fail("send: %m");
	a = ut_sockname(l);
	if (!ut_addr_eq(&a, &abs))
		zdtm_fail("getsockname before the checkpoint: %s", ut_addr_str(&a));

	zdtm_ready();
	zdtm_wait_for_term();

	ut_check_name("L", l, 0, &abs, NULL);
	ut_check_name("S1", s1, 0, &abs, NULL);
	ut_check_name("C1", c1, 1, &abs, NULL);
	ut_check_name("C2", c2, 1, &abs, NULL);
	zdtm_check(ut_getint(l, SOL_SOCKET, SO_ACCEPTCONN) == 1, "L: not listening");
	zdtm_check(ut_read_pattern(s1, 800, 180, 0, 1000, &got) && ut_empty(s1), "S1: read %zu of 800 bytes", got);
	zdtm_check(ut_read_pattern(c1, 90, 181, 0, 1000, &got) && ut_empty(c1), "C1: read %zu of 90 bytes", got);
	s2 = ut_accept_nb(l);
	if (zdtm_check(s2 >= 0, "the pending connection is gone: %m")) {
		zdtm_check(ut_read_pattern(s2, 45, 182, 0, 1000, &got) && ut_empty(s2), "S2: read %zu of 45 bytes", got);
		zdtm_check(send(s2, "ok", 2, MSG_NOSIGNAL) == 2 && recv(c2, buf, 8, MSG_DONTWAIT) == 2, "S2 -> C2 failed");
	}
	zdtm_check(ut_accept_nb(l) == -1 && errno == EAGAIN, "another connection was pending (%m)");
	n = ut_socket(SOCK_STREAM);
	zdtm_check(ut_connect(n, &abs) == 0 && ut_accept_wait(l, 2000) >= 0, "a new client by the name: %m");
	close(n);
	n = ut_socket(SOCK_STREAM);
	errno = 0;
	zdtm_check(ut_connect(n, &longer) == -1 && errno == ECONNREFUSED,
		   "connect to the name with a trailing NUL: %m (expected ECONNREFUSED: another name)");
	zdtm_finish();
}
