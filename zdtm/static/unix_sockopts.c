/*
 * unix_sockopts: socket options and fd flags of an AF_UNIX stream pair, set on one end, left
 * at their defaults on the other.
 *
 * State: socketpair(SOCK_STREAM) P0, P1. P0: SO_PASSCRED 1, SO_PASSSEC 1 (if the kernel takes
 * it), SO_SNDBUF 50000, SO_RCVBUF 70000, SO_RCVLOWAT 13, SO_RCVTIMEO 0.25 s, SO_SNDTIMEO 1.5 s,
 * 100 bytes (seed 270) queued to it and SO_PEEK_OFF 7. P1: O_NONBLOCK and FD_CLOEXEC, all
 * options default. Every value read back before the checkpoint is kept.
 * Check after SIGTERM: each option of both ends reads back as before (P1's still the
 * defaults), F_GETFL/F_GETFD as before; and they still act: a MSG_PEEK on P0 returns bytes
 * 7..16 of the queue and moves SO_PEEK_OFF to 17; P0 reads the 100 bytes with an
 * SCM_CREDENTIALS message (this pid, uid, gid); with 5 bytes queued, a read of P0 waits
 * for the 13-byte low-water mark until the 0.25 s timeout and returns the 5 (after >= 0.2 s);
 * an empty P0 read times out with EAGAIN after >= 0.2 s; P1 (nonblocking) gets EAGAIN at
 * once and, without SO_PASSCRED, no credentials with P0's data.
 */
#include "unix_util.h"
#include <sys/time.h>

#ifndef SO_PASSSEC
#define SO_PASSSEC 34
#endif

struct opts {
	int passcred, passsec, sndbuf, rcvbuf, rcvlowat, peekoff, fl, fd;
	struct timeval rcvtimeo, sndtimeo;
};

static struct timeval get_tv(int fd, int opt)
{
	struct timeval tv = { -1, -1 };
	socklen_t l = sizeof(tv);
	getsockopt(fd, SOL_SOCKET, opt, &tv, &l);
	return tv;
}

static void read_opts(int fd, struct opts *o)
{
	o->passcred = ut_getint(fd, SOL_SOCKET, SO_PASSCRED);
	o->passsec = ut_getint(fd, SOL_SOCKET, SO_PASSSEC);
	o->sndbuf = ut_getint(fd, SOL_SOCKET, SO_SNDBUF);
	o->rcvbuf = ut_getint(fd, SOL_SOCKET, SO_RCVBUF);
	o->rcvlowat = ut_getint(fd, SOL_SOCKET, SO_RCVLOWAT);
	o->peekoff = ut_getint(fd, SOL_SOCKET, SO_PEEK_OFF);
	o->fl = fcntl(fd, F_GETFL);
	o->fd = fcntl(fd, F_GETFD);
	o->rcvtimeo = get_tv(fd, SO_RCVTIMEO);
	o->sndtimeo = get_tv(fd, SO_SNDTIMEO);
}

static void compare(int end, const struct opts *now, const struct opts *was)
{
#define CMP(f) zdtm_check(now->f == was->f, "P%d: " #f " is %d, was %d", end, now->f, was->f)
	CMP(passcred);
	CMP(passsec);
	CMP(sndbuf);
	CMP(rcvbuf);
	CMP(rcvlowat);
	CMP(peekoff);
	CMP(fl);
	CMP(fd);
#undef CMP
	zdtm_check(now->rcvtimeo.tv_sec == was->rcvtimeo.tv_sec && now->rcvtimeo.tv_usec == was->rcvtimeo.tv_usec,
		   "P%d: SO_RCVTIMEO %ld.%06ld, was %ld.%06ld", end, (long)now->rcvtimeo.tv_sec,
		   (long)now->rcvtimeo.tv_usec, (long)was->rcvtimeo.tv_sec, (long)was->rcvtimeo.tv_usec);
	zdtm_check(now->sndtimeo.tv_sec == was->sndtimeo.tv_sec && now->sndtimeo.tv_usec == was->sndtimeo.tv_usec,
		   "P%d: SO_SNDTIMEO %ld.%06ld, was %ld.%06ld", end, (long)now->sndtimeo.tv_sec,
		   (long)now->sndtimeo.tv_usec, (long)was->sndtimeo.tv_sec, (long)was->sndtimeo.tv_usec);
}

int main(int argc, char **argv)
{
	int sv[2], have_sec, have;
	struct opts was[2], now[2];
	struct timeval rt = { 0, 250000 }, st = { 1, 500000 };
	struct ucred cr;
	uint8_t buf[256];
	uint64_t t0, dt;
	ssize_t n;

	zdtm_init(argc, argv);
	ut_pair(SOCK_STREAM, sv);
	if (ut_setint(sv[0], SOL_SOCKET, SO_PASSCRED, 1))
		zdtm_fail("SO_PASSCRED: %m");
	have_sec = ut_setint(sv[0], SOL_SOCKET, SO_PASSSEC, 1) == 0;
	if (!have_sec)
		zdtm_log("SO_PASSSEC not settable here (%m): only read back");
	if (ut_setint(sv[0], SOL_SOCKET, SO_SNDBUF, 50000))
		zdtm_fail("SO_SNDBUF: %m");
	if (ut_setint(sv[0], SOL_SOCKET, SO_RCVBUF, 70000))
		zdtm_fail("SO_RCVBUF: %m");
	if (ut_setint(sv[0], SOL_SOCKET, SO_RCVLOWAT, 13))
		zdtm_fail("SO_RCVLOWAT: %m");
	if (setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &rt, sizeof(rt)) ||
	    setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &st, sizeof(st)))
		zdtm_fail("SO_RCVTIMEO/SO_SNDTIMEO: %m");
	zdtm_fill(buf, 100, 270);
	if (send(sv[1], buf, 100, 0) != 100)
		zdtm_fail("send: %m");
	if (ut_setint(sv[0], SOL_SOCKET, SO_PEEK_OFF, 7))
		zdtm_fail("SO_PEEK_OFF: %m");
	if (fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK) || fcntl(sv[1], F_SETFD, FD_CLOEXEC))
		zdtm_fail("fcntl: %m");
	read_opts(sv[0], &was[0]);
	read_opts(sv[1], &was[1]);
	if (was[0].peekoff != 7 || was[0].rcvlowat != 13 || !was[0].passcred || was[1].passcred ||
	    was[1].peekoff != -1 || !(was[1].fl & O_NONBLOCK) || (was[0].fl & O_NONBLOCK))
		zdtm_fail("options did not read back as set");

	zdtm_ready();
	zdtm_wait_for_term();

	read_opts(sv[0], &now[0]);
	read_opts(sv[1], &now[1]);
	compare(0, &now[0], &was[0]);
	compare(1, &now[1], &was[1]);

	memset(buf, 0, sizeof(buf));
	n = recv(sv[0], buf, 10, MSG_PEEK | MSG_DONTWAIT);
	zdtm_check(n == 10 && zdtm_verify_at(buf, 10, 270, 7) < 0, "P0: MSG_PEEK got %zd bytes, not bytes 7..16", n);
	zdtm_check(ut_getint(sv[0], SOL_SOCKET, SO_PEEK_OFF) == 17, "P0: SO_PEEK_OFF %d after the peek, expected 17",
		   ut_getint(sv[0], SOL_SOCKET, SO_PEEK_OFF));
	memset(buf, 0, sizeof(buf));
	n = ut_recv_creds(sv[0], buf, sizeof(buf), &cr, &have, 0);
	zdtm_check(n == 100 && zdtm_verify(buf, 100, 270) < 0, "P0: read %zd of the 100 queued bytes", n);
	zdtm_check(have && cr.pid == getpid() && cr.uid == getuid() && cr.gid == getgid(),
		   "P0: credentials %s %d/%d/%d, expected %d/%d/%d", have ? "" : "missing", cr.pid, cr.uid, cr.gid,
		   (int)getpid(), (int)getuid(), (int)getgid());

	zdtm_check(send(sv[1], "12345", 5, MSG_NOSIGNAL) == 5, "P1: send: %m");
	t0 = zdtm_now_ns();
	n = recv(sv[0], buf, sizeof(buf), 0);
	dt = zdtm_now_ns() - t0;
	zdtm_check(n == 5 && dt >= 200000000ULL && dt < 5000000000ULL,
		   "P0: a read below the low-water mark returned %zd after %llu ms (expected 5 after the 250 ms timeout)",
		   n, (unsigned long long)(dt / 1000000));
	t0 = zdtm_now_ns();
	errno = 0;
	n = recv(sv[0], buf, sizeof(buf), 0);
	dt = zdtm_now_ns() - t0;
	zdtm_check(n == -1 && errno == EAGAIN && dt >= 200000000ULL && dt < 5000000000ULL,
		   "P0: an empty read returned %zd (%m) after %llu ms, expected EAGAIN after 250 ms", n,
		   (unsigned long long)(dt / 1000000));

	t0 = zdtm_now_ns();
	errno = 0;
	n = recv(sv[1], buf, sizeof(buf), 0);
	zdtm_check(n == -1 && errno == EAGAIN && zdtm_now_ns() - t0 < 100000000ULL, "P1: not nonblocking (%zd, %m)", n);
	zdtm_check(send(sv[0], "abc", 3, MSG_NOSIGNAL) == 3, "P0: send: %m");
	n = ut_recv_creds(sv[1], buf, sizeof(buf), &cr, &have, 0);
	zdtm_check(n == 3 && !have, "P1: got %zd bytes, credentials %s (it has no SO_PASSCRED)", n,
		   have ? "present" : "absent");
	zdtm_finish();
}
