/*
 * udp_shutdown: UDP sockets after shutdown().
 *
 * State: X (127.0.0.1:20361) and Y (20362) connected to each other; X did shutdown(SHUT_RD)
 * and Y shutdown(SHUT_WR). Z (20363) and W (20364) connected to each other; Z did
 * shutdown(SHUT_RDWR). U (20365) is bound but not connected and did shutdown(SHUT_RD),
 * which fails with ENOTCONN yet marks the socket anyway. poll() events of all five are
 * recorded (and checked: RDHUP on X and U, HUP on Z, neither on Y and W).
 * Check after SIGTERM: addresses and peers as set; poll events as recorded; a blocking
 * recv on X, Z and U returns 0 at once (the read side is shut); send on Y and Z fails with
 * EPIPE; X can still send, and Y (whose read side is open) receives X's datagram.
 */
#include "inet_util.h"
#include <sys/time.h>

enum { X, Y, Z, W, U, NS };
static const char *const names[NS] = { "X", "Y", "Z", "W", "U" };
static const int peer_of[NS] = { Y, X, W, Z, -1 };

/* A blocking recv must return 0 at once: 1 if it did. */
static int eof_at_once(int fd)
{
	struct timeval tv = { 2, 0 };
	char b[8];
	uint64_t t0 = zdtm_now_ns();
	ssize_t n;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, b, sizeof(b), 0);
	return n == 0 && zdtm_now_ns() - t0 < 1000000000ULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a[NS];
	int fd[NS], i;
	short ev[NS];
	char buf[16];

	zdtm_init(argc, argv);
	for (i = 0; i < NS; i++) {
		a[i] = it_lo4(20361 + i);
		fd[i] = it_udp_bound(&a[i]);
	}
	for (i = 0; i < NS; i++)
		if (peer_of[i] >= 0 && connect(fd[i], (void *)&a[peer_of[i]], sizeof(a[0])))
			zdtm_fail("connect: %m");
	if (shutdown(fd[X], SHUT_RD) || shutdown(fd[Y], SHUT_WR) || shutdown(fd[Z], SHUT_RDWR))
		zdtm_fail("shutdown: %m");
	if (shutdown(fd[U], SHUT_RD) == 0 || errno != ENOTCONN)
		zdtm_fail("shutdown of the unconnected socket did not give ENOTCONN: %m");
	for (i = 0; i < NS; i++)
		ev[i] = it_revents(fd[i]);
	if (!(ev[X] & POLLRDHUP) || !(ev[U] & POLLRDHUP) || !(ev[Z] & POLLHUP) || (ev[Y] & (POLLRDHUP | POLLHUP)) ||
	    (ev[W] & (POLLRDHUP | POLLHUP)))
		zdtm_fail("poll events X %#x Y %#x Z %#x W %#x U %#x not as expected", ev[X], ev[Y], ev[Z], ev[W], ev[U]);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < NS; i++) {
		it_check_names(names[i], fd[i], &a[i], peer_of[i] >= 0 ? &a[peer_of[i]] : NULL);
		zdtm_check(it_revents(fd[i]) == ev[i], "%s: poll events %#x, were %#x", names[i], it_revents(fd[i]), ev[i]);
	}
	zdtm_check(it_unconnected(fd[U]), "U is connected");

	zdtm_check(eof_at_once(fd[X]), "X: recv did not return 0 at once: its read side is open");
	zdtm_check(eof_at_once(fd[Z]), "Z: recv did not return 0 at once: its read side is open");
	zdtm_check(eof_at_once(fd[U]), "U: recv did not return 0 at once: its read side is open");
	zdtm_check(send(fd[Y], "y", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE, "Y could send (%m)");
	zdtm_check(send(fd[Z], "z", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE, "Z could send (%m)");
	zdtm_check(send(fd[X], "x2y", 3, MSG_NOSIGNAL) == 3, "X cannot send: %m");
	zdtm_check(it_readable(fd[Y], 5000) && recv(fd[Y], buf, sizeof(buf), MSG_DONTWAIT) == 3 && !memcmp(buf, "x2y", 3),
		   "Y did not get X's datagram");
	zdtm_finish();
}
