/*
 * pipe_resized_full: pipes in edge states: resized, full, half-closed, reader gone.
 *
 * State:
 *   P1 grown with F_SETPIPE_SZ to 256 KiB, 200 KiB of pattern queued, both ends O_NONBLOCK;
 *   P2 at its default size and full (written until EAGAIN), read end blocking, write end
 *      O_NONBLOCK;
 *   P3 5000 bytes queued and its write end closed: readers get the data, then EOF;
 *   P4 read end closed: its write end (SIGPIPE ignored) fails with EPIPE.
 * Check after SIGTERM: sizes (F_GETPIPE_SZ), flags (F_GETFL) and FIONREAD of every end;
 * P2 still refuses a byte (EAGAIN); the data of P1, P2 and P3 read back in order (P1 through
 * a nonblocking read to EAGAIN, P3 to EOF: read returns 0); a write to P4 fails with EPIPE
 * and raises no signal; each pair is still one pipe (same inode on both ends).
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define P1_SIZE (256 << 10)
#define P1_LEN (200 << 10)
#define P3_LEN 5000

static int queued(int fd)
{
	int n = -1;
	ioctl(fd, FIONREAD, &n);
	return n;
}

static ino_t ino(int fd)
{
	struct stat st;
	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* Reads until EAGAIN (nonblock) or EOF; returns the byte count. */
static size_t drain(int fd, uint8_t *buf, size_t max, int *last_errno, ssize_t *last)
{
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, max - got);
		*last = n;
		*last_errno = n < 0 ? errno : 0;
		if (n <= 0 || got + n >= max) {
			if (n > 0)
				got += n;
			return got;
		}
		got += n;
	}
}

int main(int argc, char **argv)
{
	int p1[2], p2[2], p3[2], p4[2], fl[8], sz[4], p2_len = 0, e;
	uint8_t *buf, one = 0;
	ssize_t last;
	size_t got;

	zdtm_init(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(p1, O_NONBLOCK) || pipe(p2) || pipe(p3) || pipe(p4))
		zdtm_fail("pipe: %m");
	if (fcntl(p1[0], F_SETPIPE_SZ, P1_SIZE) < P1_SIZE)
		zdtm_fail("F_SETPIPE_SZ: %m");
	buf = xmalloc(P1_SIZE * 2);
	zdtm_fill(buf, P1_LEN, 1);
	if (write(p1[1], buf, P1_LEN) != P1_LEN)
		zdtm_fail("write P1: %m");
	fcntl(p2[1], F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t n;
		zdtm_fill_at(buf, 4096, 2, p2_len);
		n = write(p2[1], buf, 4096);
		if (n < 0 && errno == EAGAIN) {
			n = write(p2[1], buf, 1);	/* a partial page may still fit */
			if (n == 1) {
				p2_len += 1;
				continue;
			}
			break;
		}
		if (n <= 0)
			zdtm_fail("write P2: %m");
		p2_len += n;
	}
	zdtm_fill(buf, P3_LEN, 3);
	if (write(p3[1], buf, P3_LEN) != P3_LEN)
		zdtm_fail("write P3: %m");
	close(p3[1]);
	close(p4[0]);
	fl[0] = fcntl(p1[0], F_GETFL);
	fl[1] = fcntl(p1[1], F_GETFL);
	fl[2] = fcntl(p2[0], F_GETFL);
	fl[3] = fcntl(p2[1], F_GETFL);
	fl[4] = fcntl(p3[0], F_GETFL);
	fl[5] = fcntl(p4[1], F_GETFL);
	sz[0] = fcntl(p1[0], F_GETPIPE_SZ);
	sz[1] = fcntl(p2[0], F_GETPIPE_SZ);
	sz[2] = fcntl(p3[0], F_GETPIPE_SZ);
	sz[3] = fcntl(p4[1], F_GETPIPE_SZ);
	zdtm_log("P1 %d bytes of %d, P2 full with %d of %d", P1_LEN, sz[0], p2_len, sz[1]);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fcntl(p1[0], F_GETPIPE_SZ) == sz[0] && sz[0] == P1_SIZE, "P1 size %d, expected %d",
		   fcntl(p1[0], F_GETPIPE_SZ), P1_SIZE);
	zdtm_check(fcntl(p2[0], F_GETPIPE_SZ) == sz[1], "P2 size %d, expected %d", fcntl(p2[0], F_GETPIPE_SZ), sz[1]);
	zdtm_check(fcntl(p3[0], F_GETPIPE_SZ) == sz[2], "P3 size %d, expected %d", fcntl(p3[0], F_GETPIPE_SZ), sz[2]);
	zdtm_check(fcntl(p4[1], F_GETPIPE_SZ) == sz[3], "P4 size %d, expected %d", fcntl(p4[1], F_GETPIPE_SZ), sz[3]);
	zdtm_check(fcntl(p1[0], F_GETFL) == fl[0] && fcntl(p1[1], F_GETFL) == fl[1], "P1 flags %#x/%#x, expected %#x/%#x",
		   fcntl(p1[0], F_GETFL), fcntl(p1[1], F_GETFL), fl[0], fl[1]);
	zdtm_check(fcntl(p2[0], F_GETFL) == fl[2] && fcntl(p2[1], F_GETFL) == fl[3], "P2 flags %#x/%#x, expected %#x/%#x",
		   fcntl(p2[0], F_GETFL), fcntl(p2[1], F_GETFL), fl[2], fl[3]);
	zdtm_check(fcntl(p3[0], F_GETFL) == fl[4] && fcntl(p4[1], F_GETFL) == fl[5], "P3/P4 flags changed");
	zdtm_check(ino(p1[0]) == ino(p1[1]) && ino(p2[0]) == ino(p2[1]) && ino(p1[0]) != ino(p2[0]),
		   "the ends of P1/P2 are not paired as before");
	zdtm_check(queued(p1[0]) == P1_LEN, "P1 holds %d bytes, expected %d", queued(p1[0]), P1_LEN);
	zdtm_check(queued(p2[0]) == p2_len, "P2 holds %d bytes, expected %d", queued(p2[0]), p2_len);
	zdtm_check(queued(p3[0]) == P3_LEN, "P3 holds %d bytes, expected %d", queued(p3[0]), P3_LEN);

	errno = 0;
	zdtm_check(write(p2[1], &one, 1) == -1 && errno == EAGAIN, "P2 accepted another byte (%m)");
	got = drain(p1[0], buf, P1_SIZE * 2, &e, &last);
	zdtm_check(got == P1_LEN && last == -1 && e == EAGAIN, "P1: read %zu bytes, then %zd (%d)", got, last, e);
	zdtm_check(zdtm_verify(buf, got, 1) < 0, "P1 data differs at %zd", zdtm_verify(buf, got, 1));
	fcntl(p2[0], F_SETFL, fl[2] | O_NONBLOCK);
	got = drain(p2[0], buf, P1_SIZE * 2, &e, &last);
	zdtm_check(got == (size_t)p2_len && e == EAGAIN, "P2: read %zu bytes, expected %d", got, p2_len);
	zdtm_check(zdtm_verify(buf, got, 2) < 0, "P2 data differs at %zd", zdtm_verify(buf, got, 2));
	got = drain(p3[0], buf, P1_SIZE * 2, &e, &last);
	zdtm_check(got == P3_LEN && last == 0, "P3: read %zu bytes then %zd, expected %d then EOF", got, last, P3_LEN);
	zdtm_check(zdtm_verify(buf, got, 3) < 0, "P3 data differs");
	errno = 0;
	zdtm_check(write(p4[1], &one, 1) == -1 && errno == EPIPE, "P4: write did not fail with EPIPE (%m)");
	zdtm_finish();
}
