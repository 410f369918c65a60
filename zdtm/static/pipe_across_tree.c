/*
 * pipe_across_tree: pipes whose ends live in different processes, with data in flight.
 *
 * State: the root R and its child C talk over two pipes: DOWN (R writes, C reads) holds
 * 3000 bytes R wrote, UP (C writes, R reads) holds 2000 bytes C wrote. C's child G holds
 * a second write end of DOWN (inherited) and nothing else. Every process closed the ends
 * it does not use, so DOWN's writers are exactly R and G, its reader C; UP's writer C, its
 * reader R.
 * Check after SIGTERM: R finds UP's bytes queued (FIONREAD), writes 1000 more bytes into DOWN
 * and closes its end of it, then wakes C, which finds 4000 bytes queued; C reads DOWN's 3000
 * bytes and the 1000 more R wrote after the restore, in order; R reads UP's 2000 bytes then
 * C's reply (a checksum of everything C read). EOF must follow the writers: when R closes
 * its DOWN end (before it wakes C) C must not see EOF until G exits too (G still writes 10 bytes first), and
 * must see it then (within 5 s, poll); R sees EOF on UP once C exits. Any extra copy of a
 * write end left behind by the restore would hold EOF off.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define DOWN1 3000
#define DOWN2 1000
#define UP1 2000

static int queued(int fd)
{
	int n = -1;
	ioctl(fd, FIONREAD, &n);
	return n;
}

/* Reads exactly len bytes within ms; returns how many arrived. */
static size_t read_full(int fd, uint8_t *buf, size_t len, int ms)
{
	size_t got = 0;
	while (got < len) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&pfd, 1, ms) != 1)
			break;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

/* 1 if fd reaches EOF within ms, 0 if data or nothing comes. */
static int eof_within(int fd, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char b;
	if (poll(&pfd, 1, ms) != 1)
		return 0;
	return read(fd, &b, 1) == 0;
}

int main(int argc, char **argv)
{
	int down[2], up[2], sync_p[2], st = 0;
	uint8_t buf[8192], want[8192];
	pid_t c, g = 0;
	char b;

	zdtm_init(argc, argv);
	if (pipe(down) || pipe(up) || pipe(sync_p))
		zdtm_fail("pipe: %m");
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		uint32_t crc;
		size_t got;
		close(up[0]);
		close(sync_p[0]);
		g = fork();
		if (g == 0) {
			close(down[0]);
			close(up[1]);
			if (write(sync_p[1], "g", 1) != 1)
				_exit(3);
			close(sync_p[1]);
			zdtm_wait_for_term();
			zdtm_fill(buf, 10, 9);
			_exit(write(down[1], buf, 10) == 10 ? 42 : 1);
		}
		close(down[1]);
		zdtm_fill(buf, UP1, 2);
		if (g < 0 || write(up[1], buf, UP1) != UP1 || write(sync_p[1], "c", 1) != 1)
			_exit(3);
		close(sync_p[1]);
		zdtm_wait_for_term();
		zdtm_check(queued(down[0]) == DOWN1 + DOWN2, "C: DOWN holds %d bytes, expected %d", queued(down[0]),
			   DOWN1 + DOWN2);
		got = read_full(down[0], buf, DOWN1 + DOWN2, 5000);
		zdtm_check(got == DOWN1 + DOWN2 && zdtm_verify(buf, got, 1) < 0, "C: read %zu bytes of DOWN, expected %d of pattern",
			   got, DOWN1 + DOWN2);
		crc = zdtm_crc32(0, buf, got);
		zdtm_check(write(up[1], &crc, 4) == 4, "C: reply: %m");
		/* R closed its DOWN end before it woke us: G is the last writer */
		zdtm_check(!eof_within(down[0], 300), "C: EOF on DOWN while G still holds a write end");
		kill(g, SIGTERM);
		got = read_full(down[0], buf, 10, 5000);
		zdtm_check(got == 10 && zdtm_verify(buf, 10, 9) < 0, "C: G's 10 bytes did not arrive (%zu)", got);
		st = 0;
		zdtm_check(waitpid(g, &st, 0) == g && WIFEXITED(st) && WEXITSTATUS(st) == 42, "C: G ended with %#x", st);
		zdtm_check(eof_within(down[0], 5000), "C: no EOF on DOWN after every writer is gone");
		_exit(zdtm_failures() ? 1 : 42);
	}
	close(down[0]);
	close(up[1]);
	close(sync_p[1]);
	zdtm_fill(buf, DOWN1, 1);
	if (write(down[1], buf, DOWN1) != DOWN1)
		zdtm_fail("write DOWN: %m");
	if (read_full(sync_p[0], (uint8_t *)&b, 1, 10000) != 1 || read_full(sync_p[0], (uint8_t *)&b, 1, 10000) != 1)
		zdtm_fail("the children did not report");
	close(sync_p[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(queued(up[0]) == UP1, "R: UP holds %d bytes, expected %d", queued(up[0]), UP1);
	zdtm_fill_at(buf, DOWN2, 1, DOWN1);
	zdtm_check(write(down[1], buf, DOWN2) == DOWN2, "R: write DOWN: %m");
	close(down[1]);
	kill(c, SIGTERM);
	{
		size_t got = read_full(up[0], buf, UP1 + 4, 5000);
		uint32_t crc;
		zdtm_check(got == UP1 + 4, "R: read %zu bytes of UP, expected %d", got, UP1 + 4);
		zdtm_check(zdtm_verify(buf, UP1, 2) < 0, "R: UP data differs");
		zdtm_fill(want, DOWN1 + DOWN2, 1);
		memcpy(&crc, buf + UP1, 4);
		zdtm_check(crc == zdtm_crc32(0, want, DOWN1 + DOWN2), "R: C's checksum of DOWN is wrong");
	}
	zdtm_check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42, "C ended with %#x", st);
	zdtm_check(eof_within(up[0], 5000), "R: no EOF on UP after C is gone");
	zdtm_finish();
}
