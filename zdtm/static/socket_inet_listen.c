/*
 * socket_inet_listen: a listening TCP socket with a connection waiting in its backlog
 * (its client in the same process, so the connection is carried).
 *
 * State: a TCP socket bound to 127.0.0.1 on a kernel-chosen port with SO_REUSEADDR and
 * listening (backlog 8); a client socket connected to it (not yet accepted) that sent
 * 5 bytes.
 * Check after SIGTERM: getsockname gives the same address and port, SO_ACCEPTCONN and
 * SO_REUSEADDR are set; accept() returns the waiting connection whose peer is the client's
 * address, and reading it gives the 5 bytes; a new connection to the port still works.
 */
#include "inet_util.h"

int main(int argc, char **argv)
{
	struct sockaddr_in a = it_lo4(0);
	union it_addr cl, peer;
	int l, c, s, c2;
	socklen_t len;
	char buf[16];

	zdtm_init(argc, argv);
	l = it_tcp_listen(&a, 8, 0);
	a = it_sockname(l).v4;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (void *)&a, sizeof(a)) || write(c, "hello", 5) != 5)
		zdtm_fail("connect: %m");
	cl = it_sockname(c);

	zdtm_ready();
	zdtm_wait_for_term();

	it_check_names("listener", l, &a, NULL);
	UT_CHECK_INT("listener", l, SOL_SOCKET, SO_ACCEPTCONN, 1);
	UT_CHECK_INT("listener", l, SOL_SOCKET, SO_REUSEADDR, 1);
	len = sizeof(peer);
	s = accept(l, &peer.sa, &len);
	zdtm_check(s >= 0 && it_addr_eq(&peer, &cl), "accept: %m (or another peer)");
	if (s >= 0)
		zdtm_check(read(s, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5), "the queued bytes differ");
	c2 = socket(AF_INET, SOCK_STREAM, 0);
	zdtm_check(c2 >= 0 && connect(c2, (void *)&a, sizeof(a)) == 0, "a new connection fails: %m");
	zdtm_finish();
}
