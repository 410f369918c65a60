/*
 * unix_listen_seqpacket: a listening AF_UNIX SOCK_SEQPACKET socket bound to a path name.
 *
 * State: a seqpacket socket bound to DIR/listen (DIR a directory next to the outfile), the socket
 * file chmod'ed to 0640 (and, as root, chown'ed to 4321:4322), listen(fd, 7); no connection ever
 * made. getsockname() and lstat() of the file recorded.
 * Check after SIGTERM: SO_TYPE SOCK_SEQPACKET, SO_ACCEPTCONN 1; getsockname equals both the
 * recorded name and one built from the path; the path is a socket file with the same mode, owner
 * and group; poll() revents as before; nothing pending (nonblocking accept: EAGAIN); two fresh
 * clients connect by the path and are accepted in order: the accepted sockets' getsockname is the
 * path, the clients' getpeername is the path, and two records each way on each connection arrive
 * separately, whole and in order.
 */
#include "unix_util.h"

int main(int argc, char **argv)
{
	int l, tmp, c[2], s[2], i, k, ev;
	const char *dir, *path;
	struct ut_addr want, before, a;
	struct stat st0, st;
	uint8_t buf[2048];

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	path = ut_sock_path(dir, "listen");
	want = ut_path_addr(path);
	l = ut_socket(SOCK_SEQPACKET);
	if (ut_bind(l, &want) || listen(l, 7))
		zdtm_fail("bind/listen %s: %m", path);
	if (chmod(path, 0640) || (geteuid() == 0 && chown(path, 4321, 4322)))
		zdtm_fail("chmod/chown %s: %m", path);
	before = ut_sockname(l);
	ev = ut_revents(l);
	if (!ut_is_sock_file(path, &st0))
		zdtm_fail("%s is not a socket file", path);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ut_type(l) == SOCK_SEQPACKET, "SO_TYPE %d", ut_type(l));
	zdtm_check(ut_getint(l, SOL_SOCKET, SO_ACCEPTCONN) == 1, "not listening");
	a = ut_sockname(l);
	zdtm_check(ut_addr_eq(&a, &before) && ut_addr_eq(&a, &want), "getsockname %s, was %s", ut_addr_str(&a),
		   ut_addr_str(&before));
	if (zdtm_check(ut_is_sock_file(path, &st), "%s is no longer a socket file (%m)", path))
		zdtm_check(st.st_mode == st0.st_mode && st.st_uid == st0.st_uid && st.st_gid == st0.st_gid,
			   "socket file mode %o owner %d:%d, was %o %d:%d", st.st_mode, st.st_uid, st.st_gid,
			   st0.st_mode, st0.st_uid, st0.st_gid);
	errno = 0;
	zdtm_check(ut_revents(l) == ev, "listener revents %#x, were %#x", ut_revents(l), ev);
	zdtm_check(ut_accept_nb(l) == -1 && errno == EAGAIN, "accept found a connection nobody made (%m)");

	for (i = 0; i < 2; i++) {
		c[i] = ut_socket(SOCK_SEQPACKET);
		zdtm_check(ut_connect(c[i], &want) == 0, "client %d: connect %s: %m", i, path);
	}
	for (i = 0; i < 2; i++) {
		s[i] = ut_accept_wait(l, 2000);
		if (!zdtm_check(s[i] >= 0, "accept %d: %m", i))
			zdtm_finish();
	}
	for (i = 0; i < 2; i++) {
		a = ut_sockname(s[i]);
		zdtm_check(ut_addr_eq(&a, &want), "accepted %d: getsockname %s", i, ut_addr_str(&a));
		a = ut_peername(c[i]);
		zdtm_check(ut_addr_eq(&a, &want), "client %d: getpeername %s", i, ut_addr_str(&a));
		zdtm_check(ut_peer_pid(s[i]) == getpid(), "accepted %d: peer pid %d", i, ut_peer_pid(s[i]));
		for (k = 0; k < 2; k++) {
			int from = k ? s[i] : c[i], to = k ? c[i] : s[i];
			int len = k ? 900 : 500, r;
			/* two records: each recv must return one of them whole */
			for (r = 0; r < 2; r++) {
				zdtm_fill(buf, len / (r + 1), 110 + 4 * i + 2 * k + r);
				zdtm_check(send(from, buf, len / (r + 1), MSG_NOSIGNAL) == len / (r + 1),
					   "conn %d dir %d: send: %m", i, k);
			}
			for (r = 0; r < 2; r++) {
				ssize_t n;
				memset(buf, 0, sizeof(buf));
				n = ut_recv_wait(to, buf, sizeof(buf), 0, 1000);
				zdtm_check(n == len / (r + 1) && zdtm_verify(buf, n, 110 + 4 * i + 2 * k + r) < 0,
					   "conn %d dir %d: record %d has %zd bytes, expected %d (connections swapped?)", i,
					   k, r, n, len / (r + 1));
			}
			zdtm_check(ut_empty(to), "conn %d dir %d: extra data", i, k);
		}
	}
	for (i = 0; i < 2; i++) {
		close(c[i]);
		close(s[i]);
	}
	close(l);
	unlink(path);
	if (tmp)
		rmdir(dir);
	zdtm_finish();
}
