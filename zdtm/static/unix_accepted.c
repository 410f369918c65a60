/*
 * unix_accepted: a path-bound stream listener, a client connected to it and the accepted
 * socket, all three in this process, with data queued both ways on the connection.
 *
 * State: listener L bound to DIR/acc, listen(L, 4); an unbound client C connected; S the
 * socket accept() returned; C sent 3000 bytes (seed 160) to S, S sent 1500 (seed 161) to C.
 * getsockname/getpeername of all three recorded.
 * Check after SIGTERM: getsockname(S) = getsockname(L) = the path; getpeername(C) = the path;
 * getsockname(C) and getpeername(S) the unbound form (as recorded); getpeername(L) ENOTCONN;
 * SO_ACCEPTCONN 1 on L only; SIOCINQ 3000 at S, 1500 at C; the data, then EAGAIN; C and S
 * still talk (400 bytes each way); L has no pending connection and still accepts a new one.
 */
#include "unix_util.h"

int main(int argc, char **argv)
{
	int l, c, s, n2, s2, tmp;
	const char *dir, *path;
	struct ut_addr want, unbound, nl, ns, nc, pc, ps;
	uint8_t buf[8];
	size_t got;

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	want = ut_sock_addr(dir, "acc", &path);
	l = ut_listener(SOCK_STREAM, &want, 4);
	c = ut_connected(SOCK_STREAM, &want);
	s = ut_accept_nb(l);
	if (s < 0)
		zdtm_fail("accept: %m");
	if (ut_send_pattern(c, 3000, 160, 0))
		zdtm_fail("send C: %m");
	if (ut_send_pattern(s, 1500, 161, 0))
		zdtm_fail("send S: %m");
	nl = ut_sockname(l);
	ns = ut_sockname(s);
	nc = ut_sockname(c);
	pc = ut_peername(c);
	ps = ut_peername(s);

	zdtm_ready();
	zdtm_wait_for_term();

	ut_check_name("L", l, 0, &want, &nl);
	ut_check_name("S", s, 0, &want, &ns);
	ut_check_name("C", c, 1, &want, &pc);
	memset(&unbound, 0, sizeof(unbound));
	unbound.sa.sun_family = AF_UNIX;
	unbound.len = UT_FAMILY_LEN;
	ut_check_name("C", c, 0, &unbound, &nc);
	ut_check_name("S", s, 1, &unbound, &ps);
	ut_check_notconn("L", l);
	zdtm_check(ut_getint(l, SOL_SOCKET, SO_ACCEPTCONN) == 1 && ut_getint(s, SOL_SOCKET, SO_ACCEPTCONN) == 0 &&
		   ut_getint(c, SOL_SOCKET, SO_ACCEPTCONN) == 0, "SO_ACCEPTCONN wrong");
	zdtm_check(ut_inq(s) == 3000 && ut_inq(c) == 1500, "SIOCINQ S %d C %d, expected 3000 1500", ut_inq(s),
		   ut_inq(c));
	zdtm_check(ut_read_pattern(s, 3000, 160, 0, 1000, &got) && ut_empty(s), "S: read %zu of C's 3000 bytes", got);
	zdtm_check(ut_read_pattern(c, 1500, 161, 0, 1000, &got) && ut_empty(c), "C: read %zu of S's 1500 bytes", got);
	zdtm_check(ut_send_pattern(c, 400, 162, 0) == 0, "C: send: %m");
	zdtm_check(ut_read_pattern(s, 400, 162, 0, 1000, NULL), "S: new data from C lost");
	zdtm_check(ut_send_pattern(s, 400, 163, 0) == 0, "S: send: %m");
	zdtm_check(ut_read_pattern(c, 400, 163, 0, 1000, NULL), "C: new data from S lost");

	zdtm_check(ut_accept_nb(l) == -1 && errno == EAGAIN, "L: a connection was pending (%m)");
	n2 = ut_socket(SOCK_STREAM);
	zdtm_check(ut_connect(n2, &want) == 0, "new client: connect: %m");
	s2 = ut_accept_wait(l, 2000);
	if (zdtm_check(s2 >= 0, "L: accept of the new client: %m")) {
		zdtm_check(send(n2, "hi", 2, MSG_NOSIGNAL) == 2 && recv(s2, buf, 8, MSG_DONTWAIT) == 2 &&
			   !memcmp(buf, "hi", 2), "new connection does not carry data");
		close(s2);
	}
	close(l);
	unlink(path);
	if (tmp)
		rmdir(dir);
	zdtm_finish();
}
