/*
 * socket_unix_held: a connected AF_UNIX stream socket pair with data
 * queued both ways (not supported by amber yet: the dump must fail
 * cleanly and leave the test running; flag crfail).
 *
 * State: socketpair(AF_UNIX, SOCK_STREAM); 300 bytes queued towards end 1,
 * 500 towards end 0; SO_SNDBUF of end 0 set.
 * Check after SIGTERM: both ends are still sockets, connected to each
 * other (each peer's SO_PEERCRED is this pid), SO_TYPE is SOCK_STREAM,
 * SO_SNDBUF is what was read back before; each end reads exactly the
 * bytes sent to it, then nothing more.
 */
#include "zdtm.h"
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int sv[2], sndbuf = 65536, sb_before, v, i;
	uint8_t a[300], b[500], buf[600];
	struct ucred cr;
	socklen_t len;

	zdtm_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		zdtm_fail("socketpair: %m");
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	len = sizeof(sb_before);
	getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sb_before, &len);
	zdtm_fill(a, sizeof(a), 12);
	zdtm_fill(b, sizeof(b), 13);
	if (send(sv[0], a, sizeof(a), 0) != sizeof(a) || send(sv[1], b, sizeof(b), 0) != sizeof(b))
		zdtm_fail("send: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < 2; i++) {
		len = sizeof(v);
		zdtm_check(getsockopt(sv[i], SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM,
			   "end %d: not a stream socket", i);
		len = sizeof(cr);
		zdtm_check(getsockopt(sv[i], SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.pid == getpid(),
			   "end %d: peer pid %d", i, cr.pid);
	}
	len = sizeof(v);
	zdtm_check(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len) == 0 && v == sb_before,
		   "SO_SNDBUF %d, was %d", v, sb_before);
	zdtm_check(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == sizeof(a) &&
		   zdtm_verify(buf, sizeof(a), 12) < 0, "end 1 did not receive the 300 bytes");
	zdtm_check(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT) == sizeof(b) &&
		   zdtm_verify(buf, sizeof(b), 13) < 0, "end 0 did not receive the 500 bytes");
	zdtm_check(recv(sv[0], buf, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN, "extra data at end 0");
	zdtm_check(recv(sv[1], buf, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN, "extra data at end 1");
	zdtm_finish();
}
