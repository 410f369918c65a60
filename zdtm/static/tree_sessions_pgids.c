/*
 * tree_sessions_pgids: sessions and process groups across a tree.
 *
 * State (R is the root, a session and group leader):
 *   S  child of R, setsid(): leader of session S and group S
 *   S1 child of S, its own group S1 in session S
 *   S2 child of S, stays in group S
 *   S3 child of S, moved into S1's group (a group whose leader is its sibling)
 *   P  child of R, its own group P in session R
 *   P1 child of P, stays in group P
 *   Q  child of R, moved into P's group (led by its sibling)
 *   E  child of R, stays in group R
 * Check after SIGTERM: R compares getsid()/getpgid() and the pgrp/session fields of
 * /proc/PID/stat of every task with the pids the tasks had when they were set up; R forwards
 * SIGTERM to its children and S and P to theirs; every task checks its own pid, ppid,
 * getsid(0), getpgid(0) and getpgrp() and exits 42 (S and P only if their children did).
 */
#include "zdtm.h"
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { R, S, S1, S2, S3, P, P1, Q, E, NROLES };
static const char *const names[NROLES] = { "R", "S", "S1", "S2", "S3", "P", "P1", "Q", "E" };
/* Which role's pid is each role's session id and group id. */
static const int sid_of[NROLES] = { R, S, S, S, S, R, R, R, R };
static const int pgid_of[NROLES] = { R, S, S1, S, S1, P, P, P, R };
static const int parent_of[NROLES] = { -1, R, S, S, S, R, P, R, R };

static pid_t pid[NROLES];

struct rec { int role; pid_t pid; };
static int sync_p[2];

static void sync_send(int role)
{
	struct rec r = { role, getpid() };
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

/* pgrp (field 5) and session (field 6) of /proc/PID/stat; 0 on success. */
static int proc_ids(pid_t p, int *pgrp, int *sess)
{
	char path[64], buf[512], *s;
	int fd;
	ssize_t n;
	snprintf(path, sizeof(path), "/proc/%d/stat", p);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	if (!s || sscanf(s + 2, "%*c %*d %d %d", pgrp, sess) != 2)
		return -1;
	return 0;
}

static int wait_child(pid_t p, int *st, int ms)
{
	int i;
	for (i = 0; i < ms / 10; i++) {
		pid_t r = waitpid(p, st, WNOHANG);
		if (r == p)
			return 0;
		if (r < 0)
			return -1;
		zdtm_sleep_ms(10);
	}
	return -1;
}

static void stop_child(int role)
{
	int st = 0;
	kill(pid[role], SIGTERM);
	if (!zdtm_check(wait_child(pid[role], &st, 10000) == 0, "%s (%d) did not exit within 10 s",
			names[role], pid[role]))
		return;
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 42, "%s ended with status %#x, expected exit 42",
		   names[role], st);
}

static void check_self(int role)
{
	pid_t sid = pid[sid_of[role]], pgid = pid[pgid_of[role]];
	zdtm_check(getpid() == pid[role], "%s: pid %d, expected %d", names[role], getpid(), pid[role]);
	if (parent_of[role] >= 0)
		zdtm_check(getppid() == pid[parent_of[role]], "%s: ppid %d, expected %d", names[role],
			   getppid(), pid[parent_of[role]]);
	zdtm_check(getsid(0) == sid, "%s: session %d, expected %d", names[role], getsid(0), sid);
	zdtm_check(getpgid(0) == pgid && getpgrp() == pgid, "%s: group %d/%d, expected %d", names[role],
		   getpgid(0), getpgrp(), pgid);
}

static void leaf(int role) __attribute__((noreturn));
static void leaf(int role)
{
	pid[role] = getpid();
	sync_send(role);
	sync_close();
	zdtm_wait_for_term();
	check_self(role);
	_exit(zdtm_failures() ? 1 : 42);
}

static pid_t xfork(void)
{
	pid_t p = fork();
	if (p < 0)
		zdtm_fail("fork: %m");
	return p;
}

int main(int argc, char **argv)
{
	struct rec r;
	int i, got[NROLES] = { 0 };

	zdtm_init(argc, argv);
	if (pipe(sync_p))
		zdtm_fail("pipe: %m");
	pid[R] = getpid();
	if (getsid(0) != pid[R] || getpgrp() != pid[R])
		zdtm_fail("the test is not a session leader");

	if ((pid[S] = xfork()) == 0) {
		pid[S] = getpid();
		if (setsid() != pid[S])
			_exit(4);
		if ((pid[S1] = fork()) == 0) {
			setpgid(0, 0);
			leaf(S1);
		}
		setpgid(pid[S1], pid[S1]);
		if ((pid[S2] = fork()) == 0)
			leaf(S2);
		if ((pid[S3] = fork()) == 0)
			leaf(S3);
		if (pid[S1] < 0 || pid[S2] < 0 || pid[S3] < 0 || setpgid(pid[S3], pid[S1]))
			_exit(5);
		sync_send(S);
		sync_close();
		zdtm_wait_for_term();
		check_self(S);
		stop_child(S1);
		stop_child(S2);
		stop_child(S3);
		_exit(zdtm_failures() ? 1 : 42);
	}
	if ((pid[P] = xfork()) == 0) {
		pid[P] = getpid();
		setpgid(0, 0);
		if ((pid[P1] = fork()) == 0)
			leaf(P1);
		if (pid[P1] < 0)
			_exit(4);
		sync_send(P);
		sync_close();
		zdtm_wait_for_term();
		check_self(P);
		stop_child(P1);
		_exit(zdtm_failures() ? 1 : 42);
	}
	setpgid(pid[P], pid[P]);
	if ((pid[Q] = xfork()) == 0)
		leaf(Q);
	if ((pid[E] = xfork()) == 0)
		leaf(E);

	for (i = 1; i < NROLES; i++) {
		sync_recv(&r);
		if (r.role <= R || r.role >= NROLES || got[r.role]++)
			zdtm_fail("bad report from role %d", r.role);
		pid[r.role] = r.pid;
	}
	sync_close();
	if (setpgid(pid[Q], pid[P]))
		zdtm_fail("setpgid(Q, P): %m");
	for (i = 0; i < NROLES; i++)
		if (getsid(pid[i]) != pid[sid_of[i]] || getpgid(pid[i]) != pid[pgid_of[i]])
			zdtm_fail("%s: session %d group %d before the checkpoint, not as intended", names[i],
				  getsid(pid[i]), getpgid(pid[i]));
	for (i = 0; i < NROLES; i++)
		zdtm_log("%s pid %d sid %d pgid %d", names[i], pid[i], pid[sid_of[i]], pid[pgid_of[i]]);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < NROLES; i++) {
		int pg = -1, ss = -1;
		zdtm_check(getsid(pid[i]) == pid[sid_of[i]], "%s (%d): getsid %d, expected %d", names[i], pid[i],
			   getsid(pid[i]), pid[sid_of[i]]);
		zdtm_check(getpgid(pid[i]) == pid[pgid_of[i]], "%s (%d): getpgid %d, expected %d", names[i],
			   pid[i], getpgid(pid[i]), pid[pgid_of[i]]);
		zdtm_check(proc_ids(pid[i], &pg, &ss) == 0 && pg == pid[pgid_of[i]] && ss == pid[sid_of[i]],
			   "%s (%d): /proc stat says pgrp %d session %d", names[i], pid[i], pg, ss);
	}
	check_self(R);
	stop_child(S);
	stop_child(P);
	stop_child(Q);
	stop_child(E);
	zdtm_finish();
}
