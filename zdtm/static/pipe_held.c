/*
 * pipe_held: a pipe with unread data, restored with its bytes queued.
 *
 * State: a pipe, both ends open, 1000 pattern bytes written and unread;
 * the write end O_NONBLOCK; the pipe's capacity (F_GETPIPE_SZ) recorded.
 * Check after SIGTERM: both ends are still one FIFO (same inode as each other),
 * flags and capacity; FIONREAD says 1000 bytes; reading gives exactly the
 * pattern, then the pipe is empty (a nonblocking read gets EAGAIN).
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEN 1000

int main(int argc, char **argv)
{
	int p[2], fl0, fl1, sz, avail = -1;
	struct stat before, st0, st1;
	uint8_t buf[LEN], extra;

	zdtm_init(argc, argv);
	if (pipe(p))
		zdtm_fail("pipe: %m");
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	zdtm_fill(buf, LEN, 11);
	if (write(p[1], buf, LEN) != LEN)
		zdtm_fail("write: %m");
	fl0 = fcntl(p[0], F_GETFL);
	fl1 = fcntl(p[1], F_GETFL);
	sz = fcntl(p[0], F_GETPIPE_SZ);
	fstat(p[0], &before);

	zdtm_ready();
	zdtm_wait_for_term();

	/* A restored pipe is a new pipefs inode (no checkpointer can keep the number): what must hold
	 * is that both ends are still one pipe, of the same kind. */
	zdtm_check(fstat(p[0], &st0) == 0 && fstat(p[1], &st1) == 0 && S_ISFIFO(st0.st_mode) &&
		   st0.st_ino == st1.st_ino && st0.st_dev == before.st_dev, "the two ends are not one pipe");
	zdtm_check(fcntl(p[0], F_GETFL) == fl0 && fcntl(p[1], F_GETFL) == fl1, "flags changed");
	zdtm_check(fcntl(p[0], F_GETPIPE_SZ) == sz, "capacity %d, was %d", fcntl(p[0], F_GETPIPE_SZ), sz);
	ioctl(p[0], FIONREAD, &avail);
	zdtm_check(avail == LEN, "%d bytes queued, expected %d", avail, LEN);
	zdtm_check(read(p[0], buf, LEN) == LEN && zdtm_verify(buf, LEN, 11) < 0, "pipe data differs");
	fcntl(p[0], F_SETFL, fl0 | O_NONBLOCK);
	zdtm_check(read(p[0], &extra, 1) == -1 && errno == EAGAIN, "more data than written");
	zdtm_finish();
}
