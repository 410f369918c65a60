/*
 * fifo_named: a named FIFO open at both ends and once read-write, with data queued.
 *
 * State: a FIFO made with mkfifo(0600) in the work directory; fd R opened O_RDONLY|
 * O_NONBLOCK, fd W O_WRONLY, fd B O_RDWR; 700 pattern bytes written through W and 300
 * through B (queued, unread); the FIFO resized to 128 KiB with F_SETPIPE_SZ.
 * Check after SIGTERM: all three fds are the FIFO at its path (fstat dev/ino equal to
 * stat() of the path, S_ISFIFO, mode 0600); their F_GETFL access modes and O_NONBLOCK are
 * as opened; F_GETPIPE_SZ is 128 KiB; FIONREAD 1000; reading R gives the 1000 bytes in
 * order then EAGAIN. Writing through B and reading through R still works (one FIFO).
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SZ (128 << 10)

int main(int argc, char **argv)
{
	const char *path;
	struct stat sp, s;
	uint8_t buf[2048], want[1000];
	int r, w, b, fl[3], n = -1, i;
	const int *fds[3] = { &r, &w, &b };

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("fifo");
	unlink(path);
	if (mkfifo(path, 0600))
		zdtm_fail("mkfifo %s: %m", path);
	r = open(path, O_RDONLY | O_NONBLOCK);
	w = open(path, O_WRONLY);
	b = open(path, O_RDWR);
	if (r < 0 || w < 0 || b < 0)
		zdtm_fail("open fifo: %m");
	if (fcntl(w, F_SETPIPE_SZ, SZ) < SZ)
		zdtm_fail("F_SETPIPE_SZ: %m");
	zdtm_fill(want, sizeof(want), 44);
	if (write(w, want, 700) != 700 || write(b, want + 700, 300) != 300)
		zdtm_fail("write: %m");
	for (i = 0; i < 3; i++)
		fl[i] = fcntl(*fds[i], F_GETFL);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(stat(path, &sp) == 0 && S_ISFIFO(sp.st_mode) && (sp.st_mode & 07777) == 0600,
		   "%s is no longer a 0600 FIFO", path);
	for (i = 0; i < 3; i++) {
		zdtm_check(fstat(*fds[i], &s) == 0 && S_ISFIFO(s.st_mode) && s.st_ino == sp.st_ino && s.st_dev == sp.st_dev,
			   "fd %d is not the FIFO at the path (ino %llu vs %llu)", *fds[i], (unsigned long long)s.st_ino,
			   (unsigned long long)sp.st_ino);
		zdtm_check(fcntl(*fds[i], F_GETFL) == fl[i], "fd %d flags %#x, expected %#x", *fds[i],
			   fcntl(*fds[i], F_GETFL), fl[i]);
	}
	zdtm_check(fcntl(r, F_GETPIPE_SZ) == SZ, "size %d, expected %d", fcntl(r, F_GETPIPE_SZ), SZ);
	ioctl(r, FIONREAD, &n);
	zdtm_check(n == 1000, "%d bytes queued, expected 1000", n);
	zdtm_check(read(r, buf, sizeof(buf)) == 1000 && !memcmp(buf, want, 1000), "queued data differs");
	errno = 0;
	zdtm_check(read(r, buf, 1) == -1 && errno == EAGAIN, "more data than written (%m)");
	zdtm_check(write(b, "ping", 4) == 4 && read(r, buf, 8) == 4 && !memcmp(buf, "ping", 4),
		   "a write through B does not come out of R");
	zdtm_finish();
}
