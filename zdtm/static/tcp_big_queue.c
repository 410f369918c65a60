/*
 * tcp_big_queue: 1 MiB written into an established TCP connection that the reader has not
 * touched: the sender's send queue and the receiver's receive queue both hold a lot
 * (dumped with --tcp-established).
 *
 * State: a client A (SO_SNDBUF 1 MiB, read back doubled) connected to a listener on
 * 127.0.0.1:20211 with SO_RCVBUF 256 KiB, inherited by the accepted end B (the listener is
 * then closed). A wrote 1 MiB (pattern 2111) with nonblocking writes; B read nothing; the
 * queues are left to settle: everything is either in B's receive queue or in A's send
 * queue, and both are nonempty (the split is logged). B wrote 64 KiB (pattern 2112) that A
 * has not read. Recorded: addresses, file flags, MSS, TCP options, buffer sizes.
 * Check after SIGTERM: both ESTABLISHED with the recorded addresses, MSS (or capped at 32755,
 * the most a repaired socket can be given) and options;
 * SO_SNDBUF of A and SO_RCVBUF of B as recorded; B reads exactly the 1 MiB pattern (checked
 * at every offset) and A the 64 KiB, nothing more; then 1000 more bytes each way continue
 * both patterns, and nothing more.
 */
#include "zdtm.h"

#define MSS_CAP (32767 - 12)
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <unistd.h>

#define PORT 20211
#define C2S (1 << 20)
#define S2C (64 << 10)
#define MORE 1000
#define SEED_C2S 2111
#define SEED_S2C 2112

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &len))
		return -1000 - errno;
	return v;
}

/* Reads exactly len bytes (patterned from stream offset off) within ms per chunk; returns
 * the bytes read that matched, or -1 if one did not. */
static long read_verify(int fd, size_t len, uint64_t seed, uint64_t off, int ms)
{
	static uint8_t buf[65536];
	size_t got = 0;
	while (got < len) {
		struct pollfd p = { fd, POLLIN, 0 };
		size_t want = len - got < sizeof(buf) ? len - got : sizeof(buf);
		ssize_t n;
		if (poll(&p, 1, ms) != 1)
			break;
		n = recv(fd, buf, want, MSG_DONTWAIT);
		if (n <= 0)
			break;
		if (zdtm_verify_at(buf, n, seed, off + got) >= 0)
			return -1;
		got += n;
	}
	return got;
}

/* Writes len pattern bytes from offset off, waiting for room up to ms each time. */
static size_t write_pattern(int fd, size_t len, uint64_t seed, uint64_t off, int ms)
{
	static uint8_t buf[65536];
	size_t done = 0;
	while (done < len) {
		struct pollfd p = { fd, POLLOUT, 0 };
		size_t want = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t n;
		zdtm_fill_at(buf, want, seed, off + done);
		n = send(fd, buf, want, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			done += n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			break;
		if (poll(&p, 1, ms) != 1)
			break;
	}
	return done;
}

static int nothing_more(int fd)
{
	char b;
	return recv(fd, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

struct side {
	struct sockaddr_in self, peer;
	int fl, mss;
	struct tcp_info ti;
};

static void record(int fd, struct side *s)
{
	socklen_t len = sizeof(s->self);
	memset(s, 0, sizeof(*s));
	getsockname(fd, (void *)&s->self, &len);
	len = sizeof(s->peer);
	getpeername(fd, (void *)&s->peer, &len);
	s->fl = fcntl(fd, F_GETFL);
	s->mss = getint(fd, IPPROTO_TCP, TCP_MAXSEG);
	len = sizeof(s->ti);
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &s->ti, &len);
}

static int same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_family == b->sin_family && a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

static void check_side(const char *who, int fd, const struct side *was)
{
	struct side now;
	record(fd, &now);
	zdtm_check(now.ti.tcpi_state == TCP_ESTABLISHED, "%s: tcpi_state %d, expected ESTABLISHED", who, now.ti.tcpi_state);
	zdtm_check(same_addr(&now.self, &was->self), "%s: local port %d, was %d", who, ntohs(now.self.sin_port),
		   ntohs(was->self.sin_port));
	zdtm_check(same_addr(&now.peer, &was->peer), "%s: peer port %d, was %d", who, ntohs(now.peer.sin_port),
		   ntohs(was->peer.sin_port));
	zdtm_check(now.fl == was->fl, "%s: file flags %#x, were %#x", who, now.fl, was->fl);
	/* A repaired connection's segment size comes from the user MSS set before connect, which the
	 * kernel caps at 32767 (less 12 bytes of timestamp option): larger ones come back capped. */
	zdtm_check(now.mss == was->mss || (was->mss > MSS_CAP && now.mss == MSS_CAP),
		   "%s: TCP_MAXSEG %d, was %d", who, now.mss, was->mss);
	zdtm_check(now.ti.tcpi_options == was->ti.tcpi_options, "%s: tcpi_options %#x, were %#x", who,
		   now.ti.tcpi_options, was->ti.tcpi_options);
	zdtm_check(now.ti.tcpi_snd_wscale == was->ti.tcpi_snd_wscale && now.ti.tcpi_rcv_wscale == was->ti.tcpi_rcv_wscale,
		   "%s: window scales %d/%d, were %d/%d", who, now.ti.tcpi_snd_wscale, now.ti.tcpi_rcv_wscale,
		   was->ti.tcpi_snd_wscale, was->ti.tcpi_rcv_wscale);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int l, c, s, one = 1, rcv = 256 << 10, snd = 1 << 20, outq = -1, inq = -1, prev = -2, i, sndbuf, rcvbuf;
	struct side cw, sw;
	long n;

	zdtm_init(argc, argv);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) || bind(l, (void *)&a, sizeof(a)) || listen(l, 1))
		zdtm_fail("listen on 127.0.0.1:%d: %m", PORT);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || setsockopt(c, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd)) || connect(c, (void *)&a, sizeof(a)))
		zdtm_fail("connect: %m");
	s = accept(l, NULL, NULL);
	if (s < 0)
		zdtm_fail("accept: %m");
	close(l);
	if (write_pattern(s, S2C, SEED_S2C, 0, 5000) != S2C)
		zdtm_fail("B could not queue %d bytes", S2C);
	if (write_pattern(c, C2S, SEED_C2S, 0, 5000) != C2S)
		zdtm_fail("A could not queue %d bytes: %m", C2S);
	for (i = 0; i < 200; i++) {
		zdtm_sleep_ms(20);
		ioctl(c, SIOCOUTQ, &outq);
		ioctl(s, SIOCINQ, &inq);
		if (outq + inq == C2S && outq == prev)
			break;
		prev = outq;
	}
	if (outq + inq != C2S || outq <= 0 || inq <= 0)
		zdtm_fail("queues did not settle as expected: %d in A's send queue, %d in B's receive queue", outq, inq);
	zdtm_log("%d bytes in A's send queue, %d in B's receive queue", outq, inq);
	sndbuf = getint(c, SOL_SOCKET, SO_SNDBUF);
	rcvbuf = getint(s, SOL_SOCKET, SO_RCVBUF);
	record(c, &cw);
	record(s, &sw);
	if (!same_addr(&cw.self, &sw.peer) || !same_addr(&cw.peer, &sw.self) || sw.self.sin_port != htons(PORT))
		zdtm_fail("the two ends do not match");

	zdtm_ready();
	zdtm_wait_for_term();

	check_side("A", c, &cw);
	check_side("B", s, &sw);
	zdtm_check(getint(c, SOL_SOCKET, SO_SNDBUF) == sndbuf, "A: SO_SNDBUF %d, was %d", getint(c, SOL_SOCKET, SO_SNDBUF),
		   sndbuf);
	zdtm_check(getint(s, SOL_SOCKET, SO_RCVBUF) == rcvbuf, "B: SO_RCVBUF %d, was %d", getint(s, SOL_SOCKET, SO_RCVBUF),
		   rcvbuf);

	n = read_verify(s, C2S, SEED_C2S, 0, 5000);
	zdtm_check(n == C2S, "B read %ld of the %d queued bytes correctly (-1: wrong data)", n, C2S);
	zdtm_check(nothing_more(s), "B: more data than was sent");
	n = read_verify(c, S2C, SEED_S2C, 0, 5000);
	zdtm_check(n == S2C, "A read %ld of the %d queued bytes correctly (-1: wrong data)", n, S2C);
	zdtm_check(nothing_more(c), "A: more data than was sent");

	zdtm_check(write_pattern(c, MORE, SEED_C2S, C2S, 5000) == MORE, "A cannot send after restore: %m");
	zdtm_check(write_pattern(s, MORE, SEED_S2C, S2C, 5000) == MORE, "B cannot send after restore: %m");
	n = read_verify(s, MORE, SEED_C2S, C2S, 5000);
	zdtm_check(n == MORE, "B got %ld of %d new bytes (-1: wrong data)", n, MORE);
	n = read_verify(c, MORE, SEED_S2C, S2C, 5000);
	zdtm_check(n == MORE, "A got %ld of %d new bytes (-1: wrong data)", n, MORE);
	zdtm_check(nothing_more(s) && nothing_more(c), "extra data after the new bytes");
	zdtm_finish();
}
