/*
 * tcp_listen_v4: a listening TCP socket on 127.0.0.1:20101.
 *
 * State: an AF_INET stream socket with SO_REUSEADDR, bound to 127.0.0.1:20101 and
 * listening (backlog 16), nothing in its accept queue; its file flags and inode recorded.
 * Check after SIGTERM: getsockname is 127.0.0.1:20101 (the constant); SO_ACCEPTCONN,
 * SO_REUSEADDR, SO_TYPE, SO_DOMAIN, SO_PROTOCOL, tcpi_state LISTEN and the file flags are
 * as before; /proc/net/tcp lists this very socket (by inode) as LISTEN on 127.0.0.1:20101;
 * the accept queue is empty (nonblocking accept gives EAGAIN); a fresh client connects,
 * accept returns it with the client's own address as peer, and 1000 bytes go each way
 * intact.
 */
#include "zdtm.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PORT 20101
#define LEN 1000

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &len))
		return -1000 - errno;
	return v;
}

/* Reads exactly len bytes within ms milliseconds; returns the count read. */
static size_t read_full(int fd, void *buf, size_t len, int ms)
{
	size_t got = 0;
	while (got < len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, ms) != 1)
			break;
		n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

/* State (hex, as in /proc/net/tcp) of the row with this inode and local address, or -1. */
static int proc_net_state(const char *file, const char *local, unsigned long ino)
{
	char line[512], loc[64], rem[64];
	unsigned st;
	unsigned long i;
	int found = -1;
	FILE *f = fopen(file, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %63s %63s %x %*s %*s %*s %*s %*s %lu", loc, rem, &st, &i) == 4 &&
		    i == ino && !strcmp(loc, local))
			found = st;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) }, got, cl, peer;
	socklen_t len;
	int l, c, s, one = 1, fl;
	struct stat st;
	struct tcp_info ti;
	uint8_t buf[LEN];
	char row[32];

	zdtm_init(argc, argv);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (void *)&a, sizeof(a)) || listen(l, 16))
		zdtm_fail("listen on 127.0.0.1:%d: %m", PORT);
	/* /proc/net/tcp prints the address as the raw 32-bit word in hex and the port in host order. */
	snprintf(row, sizeof(row), "%08X:%04X", htonl(INADDR_LOOPBACK), PORT);
	fl = fcntl(l, F_GETFL);
	if (fstat(l, &st))
		zdtm_fail("fstat: %m");
	if (proc_net_state("/proc/net/tcp", row, st.st_ino) != 0x0A)
		zdtm_fail("/proc/net/tcp does not show the listener before the checkpoint");

	zdtm_ready();
	zdtm_wait_for_term();

	len = sizeof(got);
	memset(&got, 0, sizeof(got));
	zdtm_check(getsockname(l, (void *)&got, &len) == 0 && len == sizeof(got) && got.sin_family == AF_INET &&
		   got.sin_port == htons(PORT) && got.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
		   "listener bound to %s:%d, expected 127.0.0.1:%d", inet_ntoa(got.sin_addr), ntohs(got.sin_port), PORT);
	zdtm_check(getint(l, SOL_SOCKET, SO_ACCEPTCONN) == 1, "SO_ACCEPTCONN is %d", getint(l, SOL_SOCKET, SO_ACCEPTCONN));
	zdtm_check(getint(l, SOL_SOCKET, SO_REUSEADDR) == 1, "SO_REUSEADDR is %d", getint(l, SOL_SOCKET, SO_REUSEADDR));
	zdtm_check(getint(l, SOL_SOCKET, SO_TYPE) == SOCK_STREAM, "SO_TYPE is %d", getint(l, SOL_SOCKET, SO_TYPE));
	zdtm_check(getint(l, SOL_SOCKET, SO_DOMAIN) == AF_INET, "SO_DOMAIN is %d", getint(l, SOL_SOCKET, SO_DOMAIN));
	zdtm_check(getint(l, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP, "SO_PROTOCOL is %d",
		   getint(l, SOL_SOCKET, SO_PROTOCOL));
	len = sizeof(ti);
	zdtm_check(getsockopt(l, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == TCP_LISTEN,
		   "tcpi_state %d, expected LISTEN", ti.tcpi_state);
	zdtm_check(fcntl(l, F_GETFL) == fl, "file flags %#x, were %#x", fcntl(l, F_GETFL), fl);
	zdtm_check(fstat(l, &st) == 0 && proc_net_state("/proc/net/tcp", row, st.st_ino) == 0x0A,
		   "/proc/net/tcp has no LISTEN row for this socket on 127.0.0.1:%d", PORT);

	fcntl(l, F_SETFL, fl | O_NONBLOCK);
	s = accept(l, NULL, NULL);
	zdtm_check(s < 0 && errno == EAGAIN, "accept on an empty queue: %d (%m)", s);
	if (s >= 0)
		close(s);
	fcntl(l, F_SETFL, fl);

	c = socket(AF_INET, SOCK_STREAM, 0);
	if (!zdtm_check(c >= 0 && connect(c, (void *)&a, sizeof(a)) == 0, "a fresh client cannot connect: %m"))
		zdtm_finish();
	len = sizeof(cl);
	getsockname(c, (void *)&cl, &len);
	len = sizeof(peer);
	s = accept(l, (void *)&peer, &len);
	if (!zdtm_check(s >= 0, "accept: %m"))
		zdtm_finish();
	zdtm_check(peer.sin_port == cl.sin_port && peer.sin_addr.s_addr == cl.sin_addr.s_addr,
		   "accepted peer port %d is not the client's %d", ntohs(peer.sin_port), ntohs(cl.sin_port));
	zdtm_fill(buf, LEN, 101);
	zdtm_check(send(c, buf, LEN, MSG_NOSIGNAL) == LEN, "client send: %m");
	memset(buf, 0, LEN);
	zdtm_check(read_full(s, buf, LEN, 5000) == LEN && zdtm_verify(buf, LEN, 101) < 0,
		   "client-to-server data differs");
	zdtm_fill(buf, LEN, 102);
	zdtm_check(send(s, buf, LEN, MSG_NOSIGNAL) == LEN, "server send: %m");
	memset(buf, 0, LEN);
	zdtm_check(read_full(c, buf, LEN, 5000) == LEN && zdtm_verify(buf, LEN, 102) < 0,
		   "server-to-client data differs");
	close(c);
	close(s);
	zdtm_finish();
}
