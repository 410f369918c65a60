/*
 * pty_ctty_outside_refused: the test's controlling terminal is a pty whose master a process
 * outside the tree holds (a detached grandchild, reparented away). amber cannot give such a
 * terminal back, so the dump must be refused, naming the task and its terminal, and the test
 * left as it was.
 * Check after SIGTERM: the test's tty_nr is still the slave's, /dev/tty still opens, and a
 * byte written by the outside holder through the master still reaches the test.
 */
#include "pty_util.h"
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	int m, s, p[2], q[2], fd, st;
	char name[64], buf[64];
	struct stat sst;
	pid_t me = getpid(), holder, mid;

	zdtm_init(argc, argv);
	me = getpid();
	pty_open_pair(&m, NULL, 0);
	snprintf(name, sizeof(name), "%s", ptsname(m));
	if (pipe(p) || pipe(q))
		zdtm_fail("pipe: %m");
	mid = fork();
	if (mid == 0) {
		holder = fork();
		if (holder == 0) {
			/* outside the tree once mid exits: keeps the master; on a byte from q, writes "x" */
			char c;
			holder = getpid();
			close(p[0]);
			if (write(p[1], &holder, sizeof(holder)) < 0)
				_exit(1);
			while (kill(me, 0) == 0) {
				struct pollfd pf = { q[0], POLLIN, 0 };
				if (poll(&pf, 1, 100) == 1) {
					if (read(q[0], &c, 1) != 1)
						break;
					if (write(m, "x\n", 2) != 2)
						_exit(1);
				}
			}
			_exit(0);
		}
		_exit(0);
	}
	waitpid(mid, &st, 0);
	close(m);
	if (read(p[0], &holder, sizeof(holder)) != sizeof(holder))
		zdtm_fail("no word from the holder");
	s = open(name, O_RDWR);	/* the test is a session leader: this is its terminal now */
	if (s < 0 || stat(name, &sst))
		zdtm_fail("open %s: %m", name);
	close(s);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_stat_field(7, buf, sizeof(buf));
	zdtm_check(strtoull(buf, NULL, 10) == (unsigned long long)sst.st_rdev, "tty_nr %s, expected %lu", buf, (unsigned long)sst.st_rdev);
	fd = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (zdtm_check(fd >= 0, "open /dev/tty: %m")) {
		int n;
		zdtm_check(write(q[1], "w", 1) == 1, "write to the holder: %m");
		n = (int)pty_read_once(fd, buf, sizeof(buf), 2000);
		zdtm_check(n == 2 && buf[0] == 'x', "read from the terminal: %d bytes", n);
		close(fd);
	}
	/* The holder's end closing hangs the terminal up: SIGHUP to this session leader. */
	signal(SIGHUP, SIG_IGN);
	if (holder > 1)
		kill(holder, SIGKILL);
	zdtm_finish();
}
