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
#include "zdtm.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, got, cl, peer;
	socklen_t len = sizeof(got);
	int l, c, s, c2, one = 1, v;
	char buf[16];

	zdtm_init(argc, argv);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) || bind(l, (void *)&a, sizeof(a)) ||
	    listen(l, 8) || getsockname(l, (void *)&a, &len))
		zdtm_fail("listen: %m");
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (void *)&a, sizeof(a)) || write(c, "hello", 5) != 5)
		zdtm_fail("connect: %m");
	len = sizeof(cl);
	getsockname(c, (void *)&cl, &len);

	zdtm_ready();
	zdtm_wait_for_term();

	len = sizeof(got);
	zdtm_check(getsockname(l, (void *)&got, &len) == 0 && got.sin_port == a.sin_port &&
		   got.sin_addr.s_addr == a.sin_addr.s_addr, "listening address changed");
	len = sizeof(v);
	zdtm_check(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v, "not listening");
	len = sizeof(v);
	zdtm_check(getsockopt(l, SOL_SOCKET, SO_REUSEADDR, &v, &len) == 0 && v, "SO_REUSEADDR lost");
	len = sizeof(peer);
	s = accept(l, (void *)&peer, &len);
	zdtm_check(s >= 0 && peer.sin_port == cl.sin_port, "accept: %m (or another peer)");
	if (s >= 0)
		zdtm_check(read(s, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5), "the queued bytes differ");
	c2 = socket(AF_INET, SOCK_STREAM, 0);
	zdtm_check(c2 >= 0 && connect(c2, (void *)&a, sizeof(a)) == 0, "a new connection fails: %m");
	zdtm_finish();
}
