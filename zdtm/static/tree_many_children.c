/*
 * tree_many_children: twenty children, each with its own name, memory and exit code.
 *
 * State: the root forks 20 children; child i names itself "kid-NN" (PR_SET_NAME), fills a
 * private buffer of (i + 1) * 12 KiB with a pattern seeded by i and waits for SIGTERM.
 * Check after SIGTERM: the root checks that every child is still its unreaped child, with
 * the same pid and the name "kid-NN" in /proc/PID/comm; it forwards SIGTERM to all; child i
 * checks its pid, ppid, name (prctl PR_GET_NAME) and pattern and exits 100 + i, so the root
 * knows each pid still runs the child it was.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 20

static int read_comm(pid_t pid, char *out, size_t size)
{
	char path[64];
	int fd;
	ssize_t n;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, out, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	out[n] = '\0';
	if (out[n - 1] == '\n')
		out[n - 1] = '\0';
	return 0;
}

static void child(int i, pid_t parent, int wfd) __attribute__((noreturn));
static void child(int i, pid_t parent, int wfd)
{
	size_t len = (size_t)(i + 1) * 12 * 1024;
	uint8_t *buf = xmalloc(len);
	char name[16], got[32] = "";
	pid_t me = getpid();
	ssize_t off;

	snprintf(name, sizeof(name), "kid-%02d", i);
	prctl(PR_SET_NAME, name);
	zdtm_fill(buf, len, 1000 + i);
	if (write(wfd, &i, sizeof(i)) != sizeof(i))
		_exit(3);
	close(wfd);
	zdtm_wait_for_term();
	zdtm_check(getpid() == me && getppid() == parent, "%s: pid %d ppid %d, expected %d %d", name,
		   getpid(), getppid(), me, parent);
	prctl(PR_GET_NAME, got);
	zdtm_check(!strcmp(got, name), "%s: PR_GET_NAME says \"%s\"", name, got);
	off = zdtm_verify(buf, len, 1000 + i);
	zdtm_check(off < 0, "%s: pattern differs at offset %zd of %zu", name, off, len);
	_exit(zdtm_failures() ? 1 : 100 + i);
}

int main(int argc, char **argv)
{
	pid_t kids[N], me;
	int p[2], i, j, st;

	zdtm_init(argc, argv);
	me = getpid();
	if (pipe(p))
		zdtm_fail("pipe: %m");
	for (i = 0; i < N; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			zdtm_fail("fork: %m");
		if (kids[i] == 0) {
			close(p[0]);
			child(i, me, p[1]);
		}
	}
	close(p[1]);
	for (i = 0; i < N; i++) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &j, sizeof(j)) != sizeof(j))
			zdtm_fail("only %d children reported", i);
	}
	close(p[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < N; i++) {
		char name[16], comm[32] = "";
		snprintf(name, sizeof(name), "kid-%02d", i);
		st = 0;
		zdtm_check(waitpid(kids[i], &st, WNOHANG) == 0, "child %d (%d) is not a live child: status %#x",
			   i, kids[i], st);
		zdtm_check(read_comm(kids[i], comm, sizeof(comm)) == 0 && !strcmp(comm, name),
			   "child %d (%d): comm \"%s\", expected \"%s\"", i, kids[i], comm, name);
	}
	for (i = 0; i < N; i++)
		kill(kids[i], SIGTERM);
	for (i = 0; i < N; i++) {
		for (j = 0, st = 0; j < 1000; j++) {
			if (waitpid(kids[i], &st, WNOHANG) == kids[i])
				break;
			zdtm_sleep_ms(10);
		}
		zdtm_check(j < 1000 && WIFEXITED(st) && WEXITSTATUS(st) == 100 + i,
			   "child %d (%d) ended with status %#x, expected exit %d", i, kids[i], st, 100 + i);
	}
	zdtm_finish();
}
