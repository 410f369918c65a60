/*
 * unix_listen_backlog: a path-bound AF_UNIX stream listener with three connections waiting in
 * its backlog, never accepted; the test holds the client ends.
 *
 * State: listener bound to DIR/backlog, listen(fd, 5); clients C0, C1, C2 connected to it in
 * this order, no data sent, nothing accepted. poll() revents of the listener (readable) and
 * the clients, and the clients' getpeername, recorded.
 * Check after SIGTERM: revents and getpeername (the path) as before; SO_ACCEPTCONN 1; accept
 * returns exactly three connections, then EAGAIN; in connect order: connection i talks to
 * client i (a token from each accepted socket reaches only its client, and 600 bytes from
 * each client only its accepted socket); SO_PEERCRED of each side is this pid.
 */
#include "unix_util.h"

#define NC 3

int main(int argc, char **argv)
{
	int l, tmp, c[NC], s[NC], evc[NC], evl, i, j;
	const char *dir, *path;
	struct ut_addr want, pn[NC];
	uint8_t buf[1024];

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	want = ut_sock_addr(dir, "backlog", &path);
	l = ut_listener(SOCK_STREAM, &want, 5);
	for (i = 0; i < NC; i++)
		c[i] = ut_connected(SOCK_STREAM, &want);
	evl = ut_revents(l);
	for (i = 0; i < NC; i++) {
		evc[i] = ut_revents(c[i]);
		pn[i] = ut_peername(c[i]);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ut_revents(l) == evl, "listener: revents %#x, were %#x", ut_revents(l), evl);
	zdtm_check(ut_getint(l, SOL_SOCKET, SO_ACCEPTCONN) == 1, "listener not listening");
	for (i = 0; i < NC; i++) {
		char who[16];
		snprintf(who, sizeof(who), "client %d", i);
		zdtm_check(ut_revents(c[i]) == evc[i], "client %d: revents %#x, were %#x", i, ut_revents(c[i]), evc[i]);
		ut_check_name(who, c[i], 1, &want, &pn[i]);
		zdtm_check(ut_peer_pid(c[i]) == getpid(), "client %d: peer pid %d", i, ut_peer_pid(c[i]));
	}
	for (i = 0; i < NC; i++) {
		s[i] = ut_accept_nb(l);
		if (!zdtm_check(s[i] >= 0, "accept %d: %m (%d connections were pending)", i, NC))
			zdtm_finish();
		zdtm_check(ut_peer_pid(s[i]) == getpid(), "accepted %d: peer pid %d", i, ut_peer_pid(s[i]));
	}
	zdtm_check(ut_accept_nb(l) == -1 && errno == EAGAIN, "a fourth connection was pending (%m)");
	for (i = 0; i < NC; i++) {
		uint8_t tok = 0xa0 + i;
		zdtm_check(send(s[i], &tok, 1, MSG_NOSIGNAL) == 1, "accepted %d: send: %m", i);
		for (j = 0; j < NC; j++) {
			int n = ut_inq(c[j]);
			zdtm_check(n == (i == j), "after accepted %d sent, client %d holds %d bytes (order or pairing wrong)",
				   i, j, n);
		}
		zdtm_check(recv(c[i], buf, 2, MSG_DONTWAIT) == 1 && buf[0] == tok, "client %d: bad token", i);
	}
	for (i = 0; i < NC; i++) {
		size_t got;
		zdtm_check(ut_send_pattern(c[i], 600, 120 + i, 0) == 0, "client %d: send: %m", i);
		for (j = 0; j < NC; j++)
			zdtm_check(ut_inq(s[j]) == (i == j ? 600 : 0), "client %d's data: accepted %d holds %d bytes",
				   i, j, ut_inq(s[j]));
		zdtm_check(ut_read_pattern(s[i], 600, 120 + i, 0, 1000, &got), "accepted %d: got %zu bytes", i, got);
	}
	close(l);
	unlink(path);
	if (tmp)
		rmdir(dir);
	zdtm_finish();
}
