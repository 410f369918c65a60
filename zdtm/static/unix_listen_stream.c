/*
 * unix_listen_stream: a listening AF_UNIX SOCK_STREAM socket bound to a path name.
 *
 * State: a stream socket bound to DIR/listen (DIR a directory next to the outfile), the socket file
 * chmod'ed to 0640 (and, as root, chown'ed to 4321:4322), listen(fd, 7); no connection ever made.
 * getsockname() and lstat() of the file recorded.
 * Check after SIGTERM: SO_TYPE SOCK_STREAM, SO_ACCEPTCONN 1; getsockname equals both the recorded
 * name and one built from the path; the path is a socket file with the same mode, owner and group;
 * poll() revents as before; nothing pending (nonblocking accept: EAGAIN); two fresh clients connect
 * by the path and are accepted in order: the accepted sockets' getsockname is the path, the
 * clients' getpeername is the path, and 500 + 900 bytes go both ways on each connection.
 * (unix_listen_seqpacket.c is this program built with LISTEN_TYPE SOCK_SEQPACKET: there the data
 * goes as records instead.)
 */
#include "unix_util.h"

#ifndef LISTEN_TYPE
#define LISTEN_TYPE SOCK_STREAM
#endif

/*
 * Connection i, direction k (0: client to accepted socket): len bytes from `from` must reach
 * `to`, and nothing more. A stream carries them as a pattern of seed 110 + 2 i + k; a seqpacket
 * connection as two records, of len and len / 2 bytes (seeds 110 + 4 i + 2 k + r), each of
 * which a recv must return whole.
 */
static void exchange(int i, int k, int from, int to, int len)
{
	uint8_t buf[2048];
	int r;

	if (LISTEN_TYPE == SOCK_STREAM) {
		size_t got;
		zdtm_fill(buf, len, 110 + 2 * i + k);
		zdtm_check(ut_send_all(from, buf, len) == 0, "conn %d dir %d: send: %m", i, k);
		memset(buf, 0, sizeof(buf));
		got = ut_read_full(to, buf, len, 1000);
		zdtm_check(got == (size_t)len && zdtm_verify(buf, len, 110 + 2 * i + k) < 0,
			   "conn %d dir %d: got %zu of %d bytes (connections swapped?)", i, k, got, len);
	} else {
		for (r = 0; r < 2; r++) {
			zdtm_fill(buf, len / (r + 1), 110 + 4 * i + 2 * k + r);
			zdtm_check(send(from, buf, len / (r + 1), MSG_NOSIGNAL) == len / (r + 1), "conn %d dir %d: send: %m",
				   i, k);
		}
		for (r = 0; r < 2; r++) {
			ssize_t n;
			memset(buf, 0, sizeof(buf));
			n = ut_recv_wait(to, buf, sizeof(buf), 0, 1000);
			zdtm_check(n == len / (r + 1) && zdtm_verify(buf, n, 110 + 4 * i + 2 * k + r) < 0,
				   "conn %d dir %d: record %d has %zd bytes, expected %d (connections swapped?)", i, k, r, n,
				   len / (r + 1));
		}
	}
	zdtm_check(ut_empty(to), "conn %d dir %d: extra data", i, k);
}

int main(int argc, char **argv)
{
	int l, tmp, c[2], s[2], i, k, ev;
	const char *dir, *path;
	struct ut_addr want, before, a;
	struct stat st0, st;

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	want = ut_sock_addr(dir, "listen", &path);
	l = ut_socket(LISTEN_TYPE);
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

	zdtm_check(ut_type(l) == LISTEN_TYPE, "SO_TYPE %d", ut_type(l));
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
		c[i] = ut_socket(LISTEN_TYPE);
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
		for (k = 0; k < 2; k++)
			exchange(i, k, k ? s[i] : c[i], k ? c[i] : s[i], k ? 900 : 500);
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
