/*
 * unix_client_bound: a stream client bound to its own path name before it connected to a
 * path-bound listener; the connection accepted, data queued both ways.
 *
 * State: listener L bound to DIR/srv, listen(L, 2); client C bound to DIR/cli (file chmod'ed to
 * 0600), then connected to DIR/srv; S accepted. C sent 2222 bytes (seed 170), S sent 111
 * (seed 171). Both socket files' lstat recorded.
 * Check after SIGTERM: getsockname(C) = DIR/cli, getpeername(S) = DIR/cli, getpeername(C) =
 * getsockname(S) = DIR/srv (each also as recorded); both paths are socket files with their
 * modes; the queued data both ways, then EAGAIN; C and S still talk; a new socket connecting
 * to DIR/cli is refused (ECONNREFUSED: C is bound there but not listening) and one connecting
 * to DIR/srv is accepted.
 */
#include "unix_util.h"

int main(int argc, char **argv)
{
	int l, c, s, n, tmp;
	const char *dir, *psrv, *pcli;
	struct ut_addr srv, cli, nc, pcn, a;
	struct stat st_srv, st_cli, st;
	uint8_t buf[4096];
	size_t got;

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	psrv = ut_sock_path(dir, "srv");
	pcli = ut_sock_path(dir, "cli");
	srv = ut_path_addr(psrv);
	cli = ut_path_addr(pcli);
	l = ut_socket(SOCK_STREAM);
	c = ut_socket(SOCK_STREAM);
	if (ut_bind(l, &srv) || listen(l, 2))
		zdtm_fail("bind/listen %s: %m", psrv);
	if (ut_bind(c, &cli) || chmod(pcli, 0600) || ut_connect(c, &srv))
		zdtm_fail("bind/connect %s: %m", pcli);
	s = ut_accept_nb(l);
	if (s < 0)
		zdtm_fail("accept: %m");
	zdtm_fill(buf, 2222, 170);
	if (ut_send_all(c, buf, 2222))
		zdtm_fail("send C: %m");
	zdtm_fill(buf, 111, 171);
	if (ut_send_all(s, buf, 111))
		zdtm_fail("send S: %m");
	nc = ut_sockname(c);
	pcn = ut_peername(s);
	if (!ut_is_sock_file(psrv, &st_srv) || !ut_is_sock_file(pcli, &st_cli))
		zdtm_fail("socket files missing");

	zdtm_ready();
	zdtm_wait_for_term();

	a = ut_sockname(c);
	zdtm_check(ut_addr_eq(&a, &cli) && ut_addr_eq(&a, &nc), "C: getsockname %s, was %s", ut_addr_str(&a),
		   ut_addr_str(&nc));
	a = ut_peername(s);
	zdtm_check(ut_addr_eq(&a, &cli) && ut_addr_eq(&a, &pcn), "S: getpeername %s, was %s", ut_addr_str(&a),
		   ut_addr_str(&pcn));
	a = ut_peername(c);
	zdtm_check(ut_addr_eq(&a, &srv), "C: getpeername %s", ut_addr_str(&a));
	a = ut_sockname(s);
	zdtm_check(ut_addr_eq(&a, &srv), "S: getsockname %s", ut_addr_str(&a));
	zdtm_check(ut_is_sock_file(psrv, &st) && st.st_mode == st_srv.st_mode, "%s: not the socket file it was", psrv);
	zdtm_check(ut_is_sock_file(pcli, &st) && st.st_mode == st_cli.st_mode, "%s: not the socket file it was (mode %o)",
		   pcli, st.st_mode);
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(s, buf, 2222, 1000);
	zdtm_check(got == 2222 && zdtm_verify(buf, 2222, 170) < 0 && ut_empty(s), "S: read %zu of C's 2222 bytes", got);
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(c, buf, 111, 1000);
	zdtm_check(got == 111 && zdtm_verify(buf, 111, 171) < 0 && ut_empty(c), "C: read %zu of S's 111 bytes", got);
	zdtm_fill(buf, 321, 172);
	zdtm_check(ut_send_all(s, buf, 321) == 0, "S: send: %m");
	memset(buf, 0, sizeof(buf));
	zdtm_check(ut_read_full(c, buf, 321, 1000) == 321 && zdtm_verify(buf, 321, 172) < 0, "C: new data lost");
	zdtm_fill(buf, 321, 173);
	zdtm_check(ut_send_all(c, buf, 321) == 0, "C: send: %m");
	memset(buf, 0, sizeof(buf));
	zdtm_check(ut_read_full(s, buf, 321, 1000) == 321 && zdtm_verify(buf, 321, 173) < 0, "S: new data lost");

	n = ut_socket(SOCK_STREAM);
	errno = 0;
	zdtm_check(ut_connect(n, &cli) == -1 && errno == ECONNREFUSED, "connect to the client's name: %m, expected ECONNREFUSED");
	close(n);
	n = ut_socket(SOCK_STREAM);
	zdtm_check(ut_connect(n, &srv) == 0 && ut_accept_wait(l, 2000) >= 0, "a new client was not accepted: %m");
	close(l);
	close(c);
	unlink(psrv);
	unlink(pcli);
	if (tmp)
		rmdir(dir);
	zdtm_finish();
}
