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
	struct ut_addr srv, cli, nc, pcn;
	struct stat st_srv, st_cli, st;
	size_t got;

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	srv = ut_sock_addr(dir, "srv", &psrv);
	cli = ut_sock_addr(dir, "cli", &pcli);
	l = ut_listener(SOCK_STREAM, &srv, 2);
	c = ut_socket(SOCK_STREAM);
	if (ut_bind(c, &cli) || chmod(pcli, 0600) || ut_connect(c, &srv))
		zdtm_fail("bind/connect %s: %m", pcli);
	s = ut_accept_nb(l);
	if (s < 0)
		zdtm_fail("accept: %m");
	if (ut_send_pattern(c, 2222, 170, 0))
		zdtm_fail("send C: %m");
	if (ut_send_pattern(s, 111, 171, 0))
		zdtm_fail("send S: %m");
	nc = ut_sockname(c);
	pcn = ut_peername(s);
	if (!ut_is_sock_file(psrv, &st_srv) || !ut_is_sock_file(pcli, &st_cli))
		zdtm_fail("socket files missing");

	zdtm_ready();
	zdtm_wait_for_term();

	ut_check_name("C", c, 0, &cli, &nc);
	ut_check_name("S", s, 1, &cli, &pcn);
	ut_check_name("C", c, 1, &srv, NULL);
	ut_check_name("S", s, 0, &srv, NULL);
	zdtm_check(ut_is_sock_file(psrv, &st) && st.st_mode == st_srv.st_mode, "%s: not the socket file it was", psrv);
	zdtm_check(ut_is_sock_file(pcli, &st) && st.st_mode == st_cli.st_mode, "%s: not the socket file it was (mode %o)",
		   pcli, st.st_mode);
	zdtm_check(ut_read_pattern(s, 2222, 170, 0, 1000, &got) && ut_empty(s), "S: read %zu of C's 2222 bytes", got);
	zdtm_check(ut_read_pattern(c, 111, 171, 0, 1000, &got) && ut_empty(c), "C: read %zu of S's 111 bytes", got);
	zdtm_check(ut_send_pattern(s, 321, 172, 0) == 0, "S: send: %m");
	zdtm_check(ut_read_pattern(c, 321, 172, 0, 1000, NULL), "C: new data lost");
	zdtm_check(ut_send_pattern(c, 321, 173, 0) == 0, "C: send: %m");
	zdtm_check(ut_read_pattern(s, 321, 173, 0, 1000, NULL), "S: new data lost");

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
