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
	struct ut_addr want, nl, ns, nc, pc, ps, a;
	uint8_t buf[4096];
	size_t got;

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	path = ut_sock_path(dir, "acc");
	want = ut_path_addr(path);
	l = ut_socket(SOCK_STREAM);
	c = ut_socket(SOCK_STREAM);
	if (ut_bind(l, &want) || listen(l, 4) || ut_connect(c, &want))
		zdtm_fail("bind/listen/connect %s: %m", path);
	s = ut_accept_nb(l);
	if (s < 0)
		zdtm_fail("accept: %m");
	zdtm_fill(buf, 3000, 160);
	if (ut_send_all(c, buf, 3000))
		zdtm_fail("send C: %m");
	zdtm_fill(buf, 1500, 161);
	if (ut_send_all(s, buf, 1500))
		zdtm_fail("send S: %m");
	nl = ut_sockname(l);
	ns = ut_sockname(s);
	nc = ut_sockname(c);
	pc = ut_peername(c);
	ps = ut_peername(s);

	zdtm_ready();
	zdtm_wait_for_term();

	a = ut_sockname(l);
	zdtm_check(ut_addr_eq(&a, &nl) && ut_addr_eq(&a, &want), "L: getsockname %s, was %s", ut_addr_str(&a),
		   ut_addr_str(&nl));
	a = ut_sockname(s);
	zdtm_check(ut_addr_eq(&a, &ns) && ut_addr_eq(&a, &want), "S: getsockname %s, was %s", ut_addr_str(&a),
		   ut_addr_str(&ns));
	a = ut_peername(c);
	zdtm_check(ut_addr_eq(&a, &pc) && ut_addr_eq(&a, &want), "C: getpeername %s, was %s", ut_addr_str(&a),
		   ut_addr_str(&pc));
	a = ut_sockname(c);
	zdtm_check(ut_addr_eq(&a, &nc) && a.len == UT_FAMILY_LEN, "C: getsockname %s, was %s", ut_addr_str(&a),
		   ut_addr_str(&nc));
	a = ut_peername(s);
	zdtm_check(ut_addr_eq(&a, &ps) && a.len == UT_FAMILY_LEN, "S: getpeername %s, was %s", ut_addr_str(&a),
		   ut_addr_str(&ps));
	a = ut_peername(l);
	zdtm_check(a.len == 0 && errno == ENOTCONN, "L: getpeername %s (%m), expected ENOTCONN", ut_addr_str(&a));
	zdtm_check(ut_getint(l, SOL_SOCKET, SO_ACCEPTCONN) == 1 && ut_getint(s, SOL_SOCKET, SO_ACCEPTCONN) == 0 &&
		   ut_getint(c, SOL_SOCKET, SO_ACCEPTCONN) == 0, "SO_ACCEPTCONN wrong");
	zdtm_check(ut_inq(s) == 3000 && ut_inq(c) == 1500, "SIOCINQ S %d C %d, expected 3000 1500", ut_inq(s),
		   ut_inq(c));
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(s, buf, 3000, 1000);
	zdtm_check(got == 3000 && zdtm_verify(buf, 3000, 160) < 0 && ut_empty(s), "S: read %zu of C's 3000 bytes", got);
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(c, buf, 1500, 1000);
	zdtm_check(got == 1500 && zdtm_verify(buf, 1500, 161) < 0 && ut_empty(c), "C: read %zu of S's 1500 bytes", got);
	zdtm_fill(buf, 400, 162);
	zdtm_check(ut_send_all(c, buf, 400) == 0, "C: send: %m");
	memset(buf, 0, sizeof(buf));
	zdtm_check(ut_read_full(s, buf, 400, 1000) == 400 && zdtm_verify(buf, 400, 162) < 0, "S: new data from C lost");
	zdtm_fill(buf, 400, 163);
	zdtm_check(ut_send_all(s, buf, 400) == 0, "S: send: %m");
	memset(buf, 0, sizeof(buf));
	zdtm_check(ut_read_full(c, buf, 400, 1000) == 400 && zdtm_verify(buf, 400, 163) < 0, "C: new data from S lost");

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
