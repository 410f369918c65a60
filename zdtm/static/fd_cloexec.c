/*
 * fd_cloexec: the close-on-exec flag per file descriptor.
 *
 * State: five fds on one temp file: opened with O_CLOEXEC; opened without;
 * F_DUPFD_CLOEXEC of the second; dup() of the first (dup clears the
 * flag); opened without, then FD_CLOEXEC set with F_SETFD.
 * Check after SIGTERM: F_GETFD of each fd gives the expected flag, and so
 * does the "flags:" line of /proc/self/fdinfo (O_CLOEXEC bit); and exec
 * agrees: a forked child re-executes this program in probe mode, which
 * reports which of the fds survived the exec: exactly those without the
 * flag.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 5
static const int want[N] = { 1, 0, 1, 0, 1 };

/* Probe mode: exit status bit i set if the fd in argv[2 + i] is open. */
static void probe(int argc, char **argv)
{
	int i, bits = 0;
	for (i = 2; i < argc; i++)
		if (fcntl(atoi(argv[i]), F_GETFD) >= 0)
			bits |= 1 << (i - 2);
	_exit(bits);
}

static int fdinfo_cloexec(int fd)
{
	char path[64], buf[1024], *f;
	unsigned flags = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(path, buf, sizeof(buf));
	f = strstr(buf, "flags:");
	if (f)
		sscanf(f + 6, "%o", &flags);
	return !!(flags & O_CLOEXEC);
}

int main(int argc, char **argv)
{
	char num[N][16], *pargv[N + 3];
	int fd[N], i, st, bits = 0, want_bits = 0;
	const char *path;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "--probe"))
		probe(argc, argv);
	zdtm_init(argc, argv);
	path = zdtm_tmp_path("file");
	zdtm_write_file(path, "x", 1);
	fd[0] = open(path, O_RDONLY | O_CLOEXEC);
	fd[1] = open(path, O_RDONLY);
	fd[2] = fcntl(fd[1], F_DUPFD_CLOEXEC, 0);
	fd[3] = dup(fd[0]);
	fd[4] = open(path, O_RDONLY);
	if (fd[4] < 0 || fcntl(fd[4], F_SETFD, FD_CLOEXEC))
		zdtm_fail("set up fds: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < N; i++) {
		int got = fcntl(fd[i], F_GETFD);
		zdtm_check(got == (want[i] ? FD_CLOEXEC : 0), "fd %d: F_GETFD %d, expected %d", fd[i],
			   got, want[i]);
		zdtm_check(fdinfo_cloexec(fd[i]) == want[i], "fd %d: fdinfo O_CLOEXEC %d, expected %d",
			   fd[i], fdinfo_cloexec(fd[i]), want[i]);
		if (!want[i])
			want_bits |= 1 << i;
	}
	pargv[0] = argv[0];
	pargv[1] = "--probe";
	for (i = 0; i < N; i++) {
		snprintf(num[i], sizeof(num[i]), "%d", fd[i]);
		pargv[2 + i] = num[i];
	}
	pargv[N + 2] = NULL;
	pid = fork();
	if (pid == 0) {
		execv("/proc/self/exe", pargv);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		bits = WEXITSTATUS(st);
	zdtm_check(bits == want_bits, "fds open after exec: mask %#x, expected %#x", bits, want_bits);
	unlink(path);
	zdtm_finish();
}
