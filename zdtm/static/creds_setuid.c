/*
 * creds_setuid: unprivileged children with distinct real/effective/saved/fs ids in a root tree.
 *
 * State: the root (uid 0) forks
 *   U: setgroups({2000, 2001, 2002}), setresgid(1100, 1101, 1102), setresuid(1000, 1001,
 *      1002): fsuid 1001, fsgid 1101, no capabilities left;
 *   F: setgroups({}), setresgid(1200, 1200, 1200), setresuid(1003, 1004, 1005), then
 *      setfsuid(1003) and setfsgid(1200): fsuid differs from euid;
 *   and keeps uid 0 itself.
 * Check after SIGTERM: each child checks getresuid/getresgid, getgroups (set and count),
 * its fsuid/fsgid (setfsuid(-1) returns the current value) and the Uid:/Gid:/Groups: lines
 * of /proc/self/status; that its effective capability set is empty (CapEff 0); that its
 * dumpable flag (PR_GET_DUMPABLE, cleared by the id change) is as it was; and that it
 * cannot regain root (setuid(0) fails with EPERM). The root checks the same of the
 * children through /proc/PID/status, and that its own ids are still 0.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct ids { uid_t r, e, s, fs; gid_t gr, ge, gs, gfs; int ngroups; gid_t groups[3]; };

static const struct ids U = { 1000, 1001, 1002, 1001, 1100, 1101, 1102, 1101, 3, { 2000, 2001, 2002 } };
static const struct ids F = { 1003, 1004, 1005, 1003, 1200, 1200, 1200, 1200, 0, { 0 } };

/* The Uid:/Gid:/Groups:/CapEff: lines of /proc/PID/status, formatted as a string. */
static void status_ids(pid_t pid, char *out, size_t size)
{
	char path[64], buf[4096], *keys[] = { "\nUid:", "\nGid:", "\nGroups:", "\nCapEff:" };
	int fd, k;
	ssize_t n;
	size_t used = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	out[0] = '\0';
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (k = 0; k < 4; k++) {
		char *p = strstr(buf, keys[k]), *e;
		if (!p)
			continue;
		p++;
		e = strchr(p, '\n');
		used += snprintf(out + used, size - used, "%.*s|", (int)(e ? e - p : (long)strlen(p)), p);
	}
}

static void expected_status(const struct ids *x, char *out, size_t size)
{
	char groups[64] = "";
	size_t used = 0;
	int i;
	/* the kernel separates groups with spaces and ends the list with one */
	for (i = 0; i < x->ngroups; i++)
		used += snprintf(groups + used, sizeof(groups) - used, "%s%u", i ? " " : "", x->groups[i]);
	snprintf(groups + used, sizeof(groups) - used, " ");
	snprintf(out, size, "Uid:\t%u\t%u\t%u\t%u|Gid:\t%u\t%u\t%u\t%u|Groups:\t%s|CapEff:\t0000000000000000|", x->r, x->e,
		 x->s, x->fs, x->gr, x->ge, x->gs, x->gfs, groups);
}

static void become(const struct ids *x, int fs)
{
	if (setgroups(x->ngroups, x->groups) || setresgid(x->gr, x->ge, x->gs) || setresuid(x->r, x->e, x->s))
		_exit(3);
	if (fs) {
		setfsuid(x->fs);
		setfsgid(x->gfs);
	}
}

static void check_self(const char *who, const struct ids *x, int dumpable)
{
	uid_t r, e, s;
	gid_t gr, ge, gs, g[8];
	char want[256], got[256];
	int n;

	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	zdtm_check(r == x->r && e == x->e && s == x->s, "%s: uids %u/%u/%u, expected %u/%u/%u", who, r, e, s, x->r,
		   x->e, x->s);
	zdtm_check(gr == x->gr && ge == x->ge && gs == x->gs, "%s: gids %u/%u/%u, expected %u/%u/%u", who, gr, ge, gs,
		   x->gr, x->ge, x->gs);
	n = getgroups(8, g);
	zdtm_check(n == x->ngroups && !memcmp(g, x->groups, n * sizeof(gid_t)), "%s: %d groups", who, n);
	zdtm_check((uid_t)setfsuid(-1) == x->fs, "%s: fsuid %d, expected %u", who, setfsuid(-1), x->fs);
	zdtm_check((gid_t)setfsgid(-1) == x->gfs, "%s: fsgid %d, expected %u", who, setfsgid(-1), x->gfs);
	expected_status(x, want, sizeof(want));
	status_ids(getpid(), got, sizeof(got));
	zdtm_check(!strcmp(want, got), "%s: /proc/self/status says \"%s\", expected \"%s\"", who, got, want);
	zdtm_check(prctl(PR_GET_DUMPABLE) == dumpable, "%s: dumpable %d, expected %d", who, prctl(PR_GET_DUMPABLE),
		   dumpable);
	errno = 0;
	zdtm_check(setuid(0) == -1 && errno == EPERM, "%s: setuid(0) did not fail with EPERM", who);
}

static pid_t child(const char *who, const struct ids *x, int fs, int wfd)
{
	pid_t c = fork();
	int dumpable;
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c)
		return c;
	become(x, fs);
	dumpable = prctl(PR_GET_DUMPABLE);
	if (write(wfd, "c", 1) != 1)
		_exit(3);
	close(wfd);
	zdtm_wait_for_term();
	check_self(who, x, dumpable);
	_exit(zdtm_failures() ? 1 : 42);
}

int main(int argc, char **argv)
{
	char want[256], got[256];
	uid_t r, e, s;
	pid_t u, f;
	int p[2], i, st;
	char b;

	zdtm_init(argc, argv);
	if (getuid() != 0)
		zdtm_fail("needs root");
	if (pipe(p))
		zdtm_fail("pipe: %m");
	u = child("U", &U, 0, p[1]);
	f = child("F", &F, 1, p[1]);
	close(p[1]);
	for (i = 0; i < 2; i++) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &b, 1) != 1)
			zdtm_fail("a child did not set its ids");
	}
	close(p[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	getresuid(&r, &e, &s);
	zdtm_check(r == 0 && e == 0 && s == 0, "root: uids %u/%u/%u", r, e, s);
	expected_status(&U, want, sizeof(want));
	status_ids(u, got, sizeof(got));
	zdtm_check(!strcmp(want, got), "U's /proc status says \"%s\", expected \"%s\"", got, want);
	expected_status(&F, want, sizeof(want));
	status_ids(f, got, sizeof(got));
	zdtm_check(!strcmp(want, got), "F's /proc status says \"%s\", expected \"%s\"", got, want);
	kill(u, SIGTERM);
	kill(f, SIGTERM);
	st = 0;
	zdtm_check(waitpid(u, &st, 0) == u && WIFEXITED(st) && WEXITSTATUS(st) == 42, "U ended with %#x", st);
	st = 0;
	zdtm_check(waitpid(f, &st, 0) == f && WIFEXITED(st) && WEXITSTATUS(st) == 42, "F ended with %#x", st);
	zdtm_finish();
}
