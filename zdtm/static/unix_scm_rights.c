/*
 * unix_scm_rights: file descriptors in flight: SCM_RIGHTS messages queued on a socket and not yet
 * received, whose files this process no longer holds otherwise.
 *
 * State: dgram pair (R, S). S sent message 1 ("rights-one", 10 bytes) carrying three fds: F, a
 * regular file DIR/rights.dat (8192 pattern bytes, seed 300) open O_RDWR at offset 3000; P, the
 * read end of a pipe holding 500 bytes (seed 301) whose write end is closed; Q, end 0 of a stream
 * socketpair whose end 1 (kept) sent it 77 bytes (seed 302). Then message 2 ("rights-two") carrying
 * F again. Every local copy of F, P, Q was closed.
 * Check after SIGTERM: R receives message 1 with its bytes and exactly three fds (no MSG_CTRUNC),
 * then message 2 with one fd, then nothing (nor at S). F: the same file (inode of the path),
 * O_RDWR, offset 3000, reads the pattern from there; the fd from message 2 is the same open file
 * (its offset moved with the read). P: a FIFO with the 500 bytes, then EOF (no writer left
 * anywhere). Q: a stream socket holding the 77 bytes, connected to the kept end (30 bytes reach
 * that end, 4 come back).
 */
#include "unix_util.h"

#define FLEN 8192

struct rmsg {
	ssize_t n;
	int nfd, trunc, fds[8];
	char data[64];
};

static int send_fds(int s, const char *data, const int *fds, int nfd)
{
	return ut_send_cmsg(s, data, strlen(data), SCM_RIGHTS, fds, nfd * sizeof(int), 0) == (ssize_t)strlen(data) ? 0 : -1;
}

static void recv_fds(int r, struct rmsg *m)
{
	union {
		char b[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { m->data, sizeof(m->data) };
	struct msghdr mh;
	struct cmsghdr *c;

	memset(m, 0, sizeof(*m));
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.b;
	mh.msg_controllen = sizeof(cbuf.b);
	m->n = recvmsg(r, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	m->trunc = !!(mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC));
	for (c = m->n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(m->fds + m->nfd, CMSG_DATA(c), k * sizeof(int));
			m->nfd += k;
		}
}

static uint8_t buf[FLEN];

int main(int argc, char **argv)
{
	int c[2], q[2], p[2], f, fds[3], tmp;
	const char *dir, *fpath;
	struct rmsg m1, m2;
	struct stat st, fst;
	ssize_t n;

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 16, &tmp);
	fpath = ut_sock_path(dir, "rights.dat");
	zdtm_fill(buf, FLEN, 300);
	zdtm_write_file(fpath, buf, FLEN);
	if (stat(fpath, &fst))
		zdtm_fail("stat %s: %m", fpath);
	f = open(fpath, O_RDWR);
	if (f < 0 || lseek(f, 3000, SEEK_SET) != 3000)
		zdtm_fail("open %s: %m", fpath);
	if (pipe(p))
		zdtm_fail("pipe: %m");
	zdtm_fill(buf, 500, 301);
	if (write(p[1], buf, 500) != 500)
		zdtm_fail("write pipe: %m");
	close(p[1]);
	ut_pair(SOCK_DGRAM, c);
	ut_pair(SOCK_STREAM, q);
	zdtm_fill(buf, 77, 302);
	if (send(q[1], buf, 77, 0) != 77)
		zdtm_fail("send Q: %m");
	fds[0] = f;
	fds[1] = p[0];
	fds[2] = q[0];
	if (send_fds(c[1], "rights-one", fds, 3) || send_fds(c[1], "rights-two", fds, 1))
		zdtm_fail("sendmsg SCM_RIGHTS: %m");
	close(f);
	close(p[0]);
	close(q[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	recv_fds(c[0], &m1);
	recv_fds(c[0], &m2);
	zdtm_check(ut_empty(c[0]), "more messages than sent");
	zdtm_check(ut_empty(c[1]), "a message queued towards the sending end");
	if (!zdtm_check(m1.n == 10 && !memcmp(m1.data, "rights-one", 10) && m1.nfd == 3 && !m1.trunc,
			"message 1: %zd bytes, %d fds, trunc %d", m1.n, m1.nfd, m1.trunc) ||
	    !zdtm_check(m2.n == 10 && !memcmp(m2.data, "rights-two", 10) && m2.nfd == 1 && !m2.trunc,
			"message 2: %zd bytes, %d fds, trunc %d", m2.n, m2.nfd, m2.trunc))
		zdtm_finish();

	/* F */
	f = m1.fds[0];
	zdtm_check(fstat(f, &st) == 0 && S_ISREG(st.st_mode) && st.st_ino == fst.st_ino && st.st_dev == fst.st_dev,
		   "F: not %s", fpath);
	zdtm_check((fcntl(f, F_GETFL) & O_ACCMODE) == O_RDWR, "F: flags %#x, expected O_RDWR", fcntl(f, F_GETFL));
	zdtm_check(lseek(f, 0, SEEK_CUR) == 3000, "F: offset %lld, expected 3000", (long long)lseek(f, 0, SEEK_CUR));
	zdtm_check(lseek(m2.fds[0], 0, SEEK_CUR) == 3000, "F (message 2): offset %lld, expected 3000",
		   (long long)lseek(m2.fds[0], 0, SEEK_CUR));
	memset(buf, 0, sizeof(buf));
	n = read(f, buf, 100);
	zdtm_check(n == 100 && zdtm_verify_at(buf, 100, 300, 3000) < 0, "F: read %zd bytes, not the file at 3000", n);
	zdtm_check(lseek(m2.fds[0], 0, SEEK_CUR) == 3100, "F (message 2): offset %lld after reading through message "
		   "1's fd, expected 3100 (one open file)", (long long)lseek(m2.fds[0], 0, SEEK_CUR));
	/* P */
	zdtm_check(fstat(m1.fds[1], &st) == 0 && S_ISFIFO(st.st_mode), "P: not a pipe");
	memset(buf, 0, sizeof(buf));
	{
		size_t got = 0;
		while (got < 500 && (n = read(m1.fds[1], buf + got, 500 - got)) > 0)
			got += n;
		zdtm_check(got == 500 && zdtm_verify(buf, 500, 301) < 0, "P: read %zu of 500 bytes", got);
	}
	fcntl(m1.fds[1], F_SETFL, O_NONBLOCK);
	n = read(m1.fds[1], buf, 1);
	zdtm_check(n == 0, "P: after the data read gave %zd (%m), expected EOF", n);
	/* Q */
	zdtm_check(ut_type(m1.fds[2]) == SOCK_STREAM, "Q: SO_TYPE %d", ut_type(m1.fds[2]));
	zdtm_check(ut_read_pattern(m1.fds[2], 77, 302, 0, 1000, NULL) && ut_empty(m1.fds[2]), "Q: the 77 queued bytes differ");
	zdtm_fill(buf, 30, 303);
	zdtm_check(send(m1.fds[2], buf, 30, MSG_NOSIGNAL) == 30, "Q: send: %m");
	zdtm_check(ut_read_pattern(q[1], 30, 303, 0, 1000, NULL), "Q's peer: data lost");
	zdtm_check(send(q[1], "back", 4, MSG_NOSIGNAL) == 4 && ut_read_full(m1.fds[2], buf, 4, 1000) == 4 &&
		   !memcmp(buf, "back", 4), "Q: data from its peer lost");
	unlink(fpath);
	if (tmp)
		rmdir(dir);
	zdtm_finish();
}
