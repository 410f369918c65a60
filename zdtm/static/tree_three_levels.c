/*
 * tree_three_levels: a parent, two children and a grandchild, each with its own memory.
 *
 * State: the root R forks A and B; A forks G. Every task fills a 256 KiB heap buffer and a
 * 4 KiB static array with patterns seeded by its role, and keeps the pid it had and the pid
 * of the task that forked it (recorded by that task before the fork).
 * Check after SIGTERM: R checks that A and B are still its unreaped children, that /proc
 * says G's parent is A and A's and B's is R; then forwards SIGTERM to A and B, A forwards it
 * to G. Every task checks getpid() (libc and raw syscall), getppid() and both patterns, and
 * exits 42 when all held; A exits 42 only if G did too. R checks its own patterns and that
 * A and B exited 42.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { R, A, B, G, NROLES };
static const char *const names[NROLES] = { "R", "A", "B", "G" };

#define HEAP_LEN (256 << 10)
static uint8_t arr[4096];
static uint8_t *heap;

struct rec { int role; pid_t pid, extra; };
static int sync_p[2];

static void sync_send(int role, pid_t extra)
{
	struct rec r = { role, getpid(), extra };
	if (write(sync_p[1], &r, sizeof(r)) != sizeof(r))
		_exit(3);
}

static void sync_close(void)
{
	close(sync_p[0]);
	close(sync_p[1]);
}

static void sync_recv(struct rec *r)
{
	struct pollfd pfd = { sync_p[0], POLLIN, 0 };
	if (poll(&pfd, 1, 10000) != 1)
		zdtm_fail("a task did not report within 10 s");
	if (read(sync_p[0], r, sizeof(*r)) != sizeof(*r))
		zdtm_fail("short read from the sync pipe: %m");
}

/* Field 4 (ppid) of /proc/PID/stat, or -1. */
static pid_t proc_ppid(pid_t pid)
{
	char path[64], buf[512], *p;
	int ppid = -1, fd;
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
	if (!p || sscanf(p + 2, "%*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

static int wait_child(pid_t pid, int *st, int ms)
{
	int i;
	for (i = 0; i < ms / 10; i++) {
		pid_t r = waitpid(pid, st, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0)
			return -1;
		zdtm_sleep_ms(10);
	}
	return -1;
}

static void fill_mine(int role)
{
	heap = xmalloc(HEAP_LEN);
	zdtm_fill(heap, HEAP_LEN, 100 + role);
	zdtm_fill(arr, sizeof(arr), 200 + role);
}

static void check_mine(int role, pid_t pid, pid_t ppid)
{
	ssize_t off;
	zdtm_check(getpid() == pid && syscall(SYS_getpid) == pid, "%s: pid %d (raw %ld), expected %d",
		   names[role], getpid(), syscall(SYS_getpid), pid);
	zdtm_check(getppid() == ppid, "%s: ppid %d, expected %d", names[role], getppid(), ppid);
	off = zdtm_verify(heap, HEAP_LEN, 100 + role);
	zdtm_check(off < 0, "%s: heap pattern differs at offset %zd", names[role], off);
	off = zdtm_verify(arr, sizeof(arr), 200 + role);
	zdtm_check(off < 0, "%s: static pattern differs at offset %zd", names[role], off);
}

static void check_child_exit(const char *who, pid_t pid)
{
	int st = 0;
	kill(pid, SIGTERM);
	if (!zdtm_check(wait_child(pid, &st, 10000) == 0, "%s (%d) did not exit within 10 s", who, pid))
		return;
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 42, "%s ended with status %#x, expected exit 42",
		   who, st);
}

/* A leaf that waits for SIGTERM, checks itself and exits. */
static void leaf(int role, pid_t ppid)
{
	pid_t me = getpid();
	fill_mine(role);
	sync_send(role, 0);
	sync_close();
	zdtm_wait_for_term();
	check_mine(role, me, ppid);
	_exit(zdtm_failures() ? 1 : 42);
}

int main(int argc, char **argv)
{
	pid_t pid[NROLES], me, a_seen_g = 0;
	struct rec r;
	int i, got[NROLES] = { 0 };

	zdtm_init(argc, argv);
	if (pipe(sync_p))
		zdtm_fail("pipe: %m");
	me = pid[R] = getpid();

	pid[A] = fork();
	if (pid[A] < 0)
		zdtm_fail("fork: %m");
	if (pid[A] == 0) {
		pid_t a = getpid(), g;
		fill_mine(A);
		g = fork();
		if (g < 0)
			_exit(4);
		if (g == 0)
			leaf(G, a);
		sync_send(A, g);
		sync_close();
		zdtm_wait_for_term();
		check_mine(A, a, me);
		zdtm_check(proc_ppid(g) == a, "A: /proc says G's parent is %d, expected %d", proc_ppid(g), a);
		check_child_exit("G", g);
		_exit(zdtm_failures() ? 1 : 42);
	}
	pid[B] = fork();
	if (pid[B] < 0)
		zdtm_fail("fork: %m");
	if (pid[B] == 0)
		leaf(B, me);

	for (i = 0; i < 3; i++) {
		sync_recv(&r);
		if (r.role < A || r.role > G || got[r.role]++)
			zdtm_fail("bad report from role %d", r.role);
		if (r.role == G)
			pid[G] = r.pid;
		if (r.role == A)
			a_seen_g = r.extra;
		if ((r.role == A || r.role == B) && r.pid != pid[r.role])
			zdtm_fail("%s reports pid %d, fork said %d", names[r.role], r.pid, pid[r.role]);
	}
	if (a_seen_g != pid[G])
		zdtm_fail("A forked %d but G reports pid %d", a_seen_g, pid[G]);
	sync_close();
	fill_mine(R);
	zdtm_log("poke %p", heap + HEAP_LEN / 2);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = A; i <= B; i++) {
		int st = 0;
		zdtm_check(waitpid(pid[i], &st, WNOHANG) == 0, "%s (%d) is not a live child (status %#x, %s)",
			   names[i], pid[i], st, strerror(errno));
		zdtm_check(proc_ppid(pid[i]) == me, "/proc says %s's parent is %d, expected %d", names[i],
			   proc_ppid(pid[i]), me);
	}
	zdtm_check(proc_ppid(pid[G]) == pid[A], "/proc says G's parent is %d, expected A %d",
		   proc_ppid(pid[G]), pid[A]);
	check_mine(R, me, getppid());	/* R's own parent is whoever started it: not checked */
	check_child_exit("A", pid[A]);
	check_child_exit("B", pid[B]);
	zdtm_finish();
}
