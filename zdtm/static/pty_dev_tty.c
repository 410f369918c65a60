/*
 * pty_dev_tty: fds on /dev/tty in a session whose controlling terminal is a pty of the tree.
 * State: R holds the master; C (a session leader) took the slave as its terminal, then opened
 * /dev/tty twice (O_RDWR, and O_WRONLY|O_NONBLOCK) and closed the slave itself.
 * Check after SIGTERM: C's fds still read "/dev/tty" in /proc/self/fd with rdev 5:0 and their
 * flags; a line written through each reaches the master; a line the master writes is read
 * through the first. C exits 42 if all is right.
 */
#include "pty_util.h"
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

static int check_fd(int fd, int flags)
{
	char p[64], link[64];
	struct stat st;
	ssize_t n;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	zdtm_check(strcmp(link, "/dev/tty") == 0, "fd %d links to '%s', expected /dev/tty", fd, link);
	zdtm_check(fstat(fd, &st) == 0 && major(st.st_rdev) == 5 && minor(st.st_rdev) == 0, "fd %d rdev %u:%u", fd, major(st.st_rdev), minor(st.st_rdev));
	zdtm_check((fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == flags, "fd %d flags %#o, expected %#o", fd, fcntl(fd, F_GETFL), flags);
	return 0;
}

int main(int argc, char **argv)
{
	int m, p[2], q[2], st = 0, n;
	char name[64], buf[64];
	pid_t c;

	zdtm_init(argc, argv);
	pty_open_pair(&m, NULL, 0);
	snprintf(name, sizeof(name), "%s", ptsname(m));
	if (pipe(p) || pipe(q))
		zdtm_fail("pipe: %m");
	c = fork();
	if (c == 0) {
		int s, a, b;
		char x;
		close(m);
		setsid();
		s = open(name, O_RDWR);
		a = open("/dev/tty", O_RDWR);
		b = open("/dev/tty", O_WRONLY | O_NONBLOCK);
		if (s < 0 || a < 0 || b < 0)
			_exit(2);
		close(s);
		if (write(p[1], "r", 1) != 1)
			_exit(3);
		zdtm_wait_for_term();
		/* R has checked the master's state: now the fds */
		check_fd(a, O_RDWR);
		check_fd(b, O_WRONLY | O_NONBLOCK);
		zdtm_check(write(a, "via-a\n", 6) == 6, "write via /dev/tty: %m");
		zdtm_check(write(b, "via-b\n", 6) == 6, "write via the second /dev/tty: %m");
		if (read(q[0], &x, 1) != 1)
			_exit(4);
		n = (int)pty_read_once(a, buf, sizeof(buf), 2000);
		zdtm_check(n == 6 && memcmp(buf, "to-c-\n", 6) == 0, "read via /dev/tty: %d bytes", n);
		_exit(zdtm_failures() ? 1 : 42);
	}
	if (read(p[0], buf, 1) != 1)
		zdtm_fail("the child did not report");

	zdtm_ready();
	zdtm_wait_for_term();

	kill(c, SIGTERM);
	/* canonical mode with echo and ONLCR: the master reads "via-a\r\nvia-b\r\n" */
	n = (int)pty_read_for(m, buf, 14, 3000);
	zdtm_check(n == 14 && memcmp(buf, "via-a\r\nvia-b\r\n", 14) == 0, "master read %d bytes '%.*s'", n, n, buf);
	zdtm_check(write(m, "to-c-\n", 6) == 6, "write to master: %m");
	zdtm_check(write(q[1], "g", 1) == 1, "write to child: %m");
	zdtm_check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42, "C ended with status %#x", st);
	zdtm_finish();
}
