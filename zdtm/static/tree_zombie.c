/*
 * tree_zombie: children that ended but were not reaped.
 *
 * State: the root has four children: Z1 exited with code 7, Z2 was killed by SIGKILL, Z3 by
 * SIGUSR2 (default action), all zombies; W is alive and has a zombie child of its own, Z4,
 * that exited with code 9. Before the checkpoint each zombie is confirmed with waitid(WNOWAIT)
 * (nothing is reaped).
 * Check after SIGTERM: /proc shows each zombie in state Z with its parent; waitid(WNOWAIT)
 * reports the same si_code/si_status; waitpid() then reaps each with the same status, after
 * which the pid is gone. W, sent SIGTERM, checks and reaps Z4 the same way and exits 42.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct zombie { const char *name; pid_t pid; int code, status, wstatus; };

/* State letter and ppid from /proc/PID/stat; 0 on success. */
static int proc_state(pid_t pid, char *state, int *ppid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%c %d", state, ppid) != 2)
		return -1;
	return 0;
}

/* Waits (without reaping) until pid has ended; 0 and the siginfo when it has. */
static int peek_exit(pid_t pid, siginfo_t *si, int ms)
{
	int i;
	for (i = 0; i < ms / 10; i++) {
		memset(si, 0, sizeof(*si));
		if (waitid(P_PID, pid, si, WEXITED | WNOHANG | WNOWAIT))
			return -1;
		if (si->si_pid == pid)
			return 0;
		zdtm_sleep_ms(10);
	}
	return -1;
}

static void check_zombie(struct zombie *z, pid_t parent)
{
	siginfo_t si;
	char state = '?';
	int ppid = -1, st = 0;

	zdtm_check(proc_state(z->pid, &state, &ppid) == 0 && state == 'Z' && ppid == parent,
		   "%s (%d): /proc state %c ppid %d, expected Z and %d", z->name, z->pid, state, ppid, parent);
	memset(&si, 0, sizeof(si));
	zdtm_check(waitid(P_PID, z->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == z->pid,
		   "%s (%d): waitid finds no ended child (%m)", z->name, z->pid);
	zdtm_check(si.si_code == z->code && si.si_status == z->status,
		   "%s: si_code %d si_status %d, expected %d %d", z->name, si.si_code, si.si_status,
		   z->code, z->status);
	zdtm_check(waitpid(z->pid, &st, WNOHANG) == z->pid, "%s: waitpid does not reap it: %m", z->name);
	zdtm_check(st == z->wstatus, "%s: wait status %#x, expected %#x", z->name, st, z->wstatus);
	zdtm_check(kill(z->pid, 0) == -1 && errno == ESRCH, "%s: pid %d still exists after reaping",
		   z->name, z->pid);
}

static void make_zombie(struct zombie *z, int how)
{
	siginfo_t si;
	z->pid = fork();
	if (z->pid < 0)
		zdtm_fail("fork: %m");
	if (z->pid == 0) {
		if (how > 0)
			_exit(how);
		for (;;)
			pause();
	}
	if (how < 0)
		kill(z->pid, -how);
	if (peek_exit(z->pid, &si, 10000))
		zdtm_fail("%s did not end", z->name);
	if (si.si_code != z->code || si.si_status != z->status)
		zdtm_fail("%s ended with code %d status %d", z->name, si.si_code, si.si_status);
}

int main(int argc, char **argv)
{
	struct zombie z[3] = {
		{ "Z1", 0, CLD_EXITED, 7, 7 << 8 },
		{ "Z2", 0, CLD_KILLED, SIGKILL, SIGKILL },
		{ "Z3", 0, CLD_KILLED, SIGUSR2, SIGUSR2 },
	};
	int p[2], i, st = 0;
	pid_t w, me;

	zdtm_init(argc, argv);
	me = getpid();
	make_zombie(&z[0], 7);
	make_zombie(&z[1], -SIGKILL);
	make_zombie(&z[2], -SIGUSR2);

	if (pipe(p))
		zdtm_fail("pipe: %m");
	w = fork();
	if (w < 0)
		zdtm_fail("fork: %m");
	if (w == 0) {
		struct zombie z4 = { "Z4", 0, CLD_EXITED, 9, 9 << 8 };
		pid_t wme = getpid();
		close(p[0]);
		make_zombie(&z4, 9);
		if (write(p[1], &z4.pid, sizeof(z4.pid)) != sizeof(z4.pid))
			_exit(3);
		close(p[1]);
		zdtm_wait_for_term();
		zdtm_check(getppid() == me, "W: ppid %d, expected %d", getppid(), me);
		check_zombie(&z4, wme);
		_exit(zdtm_failures() ? 1 : 42);
	}
	close(p[1]);
	{
		struct pollfd pfd = { p[0], POLLIN, 0 };
		pid_t z4;
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &z4, sizeof(z4)) != sizeof(z4))
			zdtm_fail("W did not report");
		zdtm_log("zombies %d %d %d, W %d with zombie %d", z[0].pid, z[1].pid, z[2].pid, w, z4);
	}
	close(p[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < 3; i++)
		check_zombie(&z[i], me);
	kill(w, SIGTERM);
	for (i = 0; i < 1000 && waitpid(w, &st, WNOHANG) == 0; i++)
		zdtm_sleep_ms(10);
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 42, "W ended with status %#x, expected exit 42", st);
	zdtm_finish();
}
