/*
 * pidfd_outside_refused: a pidfd of a process outside the tree (pid 1). amber cannot bring that
 * process back, so the dump must be refused (naming the fd and the pid) and the test left as it
 * was.
 * Check after SIGTERM: fdinfo "Pid:" is 1 and pidfd_send_signal(fd, 0) succeeds (pid 1 is alive
 * and the pidfd still names it); poll does not report it readable (pid 1 has not ended).
 */
#include "zdtm.h"
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char p[64], buf[1024], *s;
	struct pollfd pfd;
	int fd;

	zdtm_init(argc, argv);
	fd = syscall(SYS_pidfd_open, 1, 0);
	if (fd < 0)
		zdtm_fail("pidfd_open(1): %m");

	zdtm_ready();
	zdtm_wait_for_term();

	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(p, buf, sizeof(buf));
	s = strstr(buf, "\nPid:");
	zdtm_check(s && atoi(s + 5) == 1, "the pidfd does not name pid 1:\n%s", buf);
	zdtm_check(syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == 0, "pidfd_send_signal(1, 0): %m");
	pfd.fd = fd;
	pfd.events = POLLIN;
	zdtm_check(poll(&pfd, 1, 0) == 0, "pidfd of pid 1 readable");
	zdtm_finish();
}
