/*
 * rlimits_tree: different soft and hard rlimits in each process of a tree.
 *
 * State: the test R, its child C and C's child G each set their own soft/hard limits for
 * several resources (R: NOFILE, CORE, STACK, FSIZE; C: NOFILE, CPU, SIGPENDING, MSGQUEUE,
 * AS; G: NOFILE, NICE, RTPRIO, MEMLOCK, LOCKS, DATA; each clamped to the hard limit it
 * inherited), the rest inherited.
 * Check after SIGTERM: every resource of each process equals what it had at set-up (the
 * table of all 16, recorded with getrlimit before ready): getrlimit in the process itself,
 * prlimit(pid) from R for C and G, and /proc/PID/limits rows agree; NOFILE is enforced in
 * each: dup2 to soft-1 works, to soft fails with EBADF.
 */
#include "kid_util.h"
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#define NR RLIM_NLIMITS
#define MB (1024ull * 1024)

struct lim { int res; rlim_t cur, max; };

static const struct lim r_set[] = {
	{ RLIMIT_NOFILE, 200, 300 }, { RLIMIT_CORE, 0, MB }, { RLIMIT_STACK, 6 * MB, 64 * MB }, { RLIMIT_FSIZE, 1024 * MB, 4096 * MB },
};
static const struct lim c_set[] = {
	{ RLIMIT_NOFILE, 100, 150 }, { RLIMIT_CPU, 1000, 2000 }, { RLIMIT_SIGPENDING, 500, 600 },
	{ RLIMIT_MSGQUEUE, 4096, 8192 }, { RLIMIT_AS, 64 * 1024 * MB, RLIM_INFINITY },
};
static const struct lim g_set[] = {
	{ RLIMIT_NOFILE, 64, 65 }, { RLIMIT_NICE, 10, 20 }, { RLIMIT_RTPRIO, 0, 5 }, { RLIMIT_MEMLOCK, 64 * 1024, 128 * 1024 },
	{ RLIMIT_LOCKS, 50, 60 }, { RLIMIT_DATA, 8192 * MB, 16384 * MB },
};

static volatile int *sh;
static struct rlimit *tabs;	/* [3][NR], in the shared page after the words */

static void apply(const struct lim *l, int n)
{
	int i;
	for (i = 0; i < n; i++) {
		struct rlimit r = { l[i].cur, l[i].max }, now;
		/* Only lowering is sure to be allowed (CAP_SYS_RESOURCE may be missing): clamp to the hard limit. */
		getrlimit(l[i].res, &now);
		if (r.rlim_max > now.rlim_max)
			r.rlim_max = now.rlim_max;
		if (r.rlim_cur > r.rlim_max)
			r.rlim_cur = r.rlim_max;
		if (setrlimit(l[i].res, &r))
			zdtm_fail("setrlimit %d: %m", l[i].res);
	}
}

static void record(int who)
{
	int i;
	for (i = 0; i < NR; i++)
		getrlimit(i, &tabs[who * NR + i]);
}

static const char *const names[NR] = { "Max cpu time", "Max file size", "Max data size", "Max stack size",
	"Max core file size", "Max resident set", "Max processes", "Max open files", "Max locked memory",
	"Max address space", "Max file locks", "Max pending signals", "Max msgqueue size", "Max nice priority",
	"Max realtime priority", "Max realtime timeout" };

static void fmt(rlim_t v, char *out, size_t size)
{
	if (v == RLIM_INFINITY)
		snprintf(out, size, "unlimited");
	else
		snprintf(out, size, "%llu", (unsigned long long)v);
}

/* Checks every limit of pid (0: self) against table who: getrlimit/prlimit and /proc/PID/limits. */
static void check_all(const char *tag, pid_t pid, int who)
{
	static char buf[8192];
	char path[64];
	int i;
	snprintf(path, sizeof(path), "/proc/%d/limits", pid ? (int)pid : (int)getpid());
	zdtm_read_file(path, buf, sizeof(buf));
	for (i = 0; i < NR; i++) {
		struct rlimit r = { 0, 0 }, *w = &tabs[who * NR + i];
		char *line, soft[32], hard[32], ws[32], wh[32];
		zdtm_check(prlimit(pid, i, NULL, &r) == 0 && r.rlim_cur == w->rlim_cur && r.rlim_max == w->rlim_max,
			   "%s: resource %d is %llu/%llu, expected %llu/%llu", tag, i, (unsigned long long)r.rlim_cur,
			   (unsigned long long)r.rlim_max, (unsigned long long)w->rlim_cur, (unsigned long long)w->rlim_max);
		line = strstr(buf, names[i]);
		if (!zdtm_check(line != NULL, "%s: no '%s' row", tag, names[i]))
			continue;
		soft[0] = hard[0] = 0;
		sscanf(line + 26, "%31s %31s", soft, hard);
		fmt(w->rlim_cur, ws, sizeof(ws));
		fmt(w->rlim_max, wh, sizeof(wh));
		zdtm_check(!strcmp(soft, ws) && !strcmp(hard, wh), "%s: limits row '%s' %s %s, expected %s %s", tag, names[i],
			   soft, hard, ws, wh);
	}
}

static void check_nofile(const char *tag, int who)
{
	rlim_t soft = tabs[who * NR + RLIMIT_NOFILE].rlim_cur;
	zdtm_check(dup2(0, (int)soft - 1) == (int)soft - 1, "%s: dup2 to %d (soft-1): %m", tag, (int)soft - 1);
	close((int)soft - 1);
	errno = 0;
	zdtm_check(dup2(0, (int)soft) < 0 && errno == EBADF, "%s: dup2 to %d (soft) not refused: %m", tag, (int)soft);
}

int main(int argc, char **argv)
{
	pid_t c;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	tabs = (struct rlimit *)(sh + 64);
	apply(r_set, sizeof(r_set) / sizeof(r_set[0]));
	record(0);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int before;
		pid_t g;
		apply(c_set, sizeof(c_set) / sizeof(c_set[0]));
		record(1);
		g = fork();
		if (g == 0) {
			apply(g_set, sizeof(g_set) / sizeof(g_set[0]));
			record(2);
			kid_set_word(&sh[2], getpid());
			while (!kid_wait_word(&sh[3], 1, 1000000))
				;
			before = zdtm_failures();
			check_all("G", 0, 2);
			check_nofile("G", 2);
			_exit(zdtm_failures() != before);
		}
		kid_set_word(&sh[1], g);
		while (!kid_wait_word(&sh[3], 1, 1000000))
			;
		before = zdtm_failures();
		check_all("C", 0, 1);
		check_nofile("C", 1);
		zdtm_check(kid_reap_ok(g, "G", 5000), "C: G failed");
		_exit(zdtm_failures() != before);
	}
	if (!kid_wait_word(&sh[1], 1, 5000) || !kid_wait_word(&sh[2], 1, 5000))
		zdtm_fail("the children did not set their limits");
	zdtm_log("C %d G %d", (int)c, sh[2]);

	zdtm_ready();
	zdtm_wait_for_term();

	check_all("R", 0, 0);
	check_all("C from R", c, 1);
	check_all("G from R", sh[2], 2);
	check_nofile("R", 0);
	kid_set_word(&sh[3], 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
