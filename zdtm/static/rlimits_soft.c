/*
 * rlimits_soft: resource limits, every one of them other than the restorer's.
 *
 * State: for each resource a soft and a hard limit of its own (a hard limit
 * can only go down without CAP_SYS_RESOURCE, and each soft one stays at most
 * its hard one): CPU, FSIZE, DATA, STACK, CORE, RSS, NPROC, NOFILE, MEMLOCK,
 * AS, LOCKS, SIGPENDING, MSGQUEUE and RTTIME all moved; NICE and RTPRIO are
 * left where they are when their hard limit is 0 (nothing to move to).
 * The test fails at setup unless at least 12 resources differ from the
 * limits it was started with, which are the restorer's: a restore that
 * left the limits out would then be caught.
 * Check after SIGTERM: getrlimit() of every resource equals what was set;
 * /proc/self/limits shows the same soft value for "Max open files".
 */
#include "zdtm.h"
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static const struct { int res; rlim_t soft, hard; } set[] = {
	{ RLIMIT_CPU, 7200, 7300 },
	{ RLIMIT_FSIZE, 1UL << 30, 2UL << 30 },
	{ RLIMIT_DATA, 64UL << 30, 128UL << 30 },
	{ RLIMIT_STACK, 6 << 20, 512UL << 20 },
	{ RLIMIT_CORE, 1 << 20, 2 << 20 },
	{ RLIMIT_RSS, 3UL << 30, 4UL << 30 },
	{ RLIMIT_NPROC, 9001, 9007 },
	{ RLIMIT_NOFILE, 200, 1000 },
	{ RLIMIT_MEMLOCK, 4 << 20, 6 << 20 },
	{ RLIMIT_AS, 64UL << 30, 96UL << 30 },
	{ RLIMIT_LOCKS, 1001, 1009 },
	{ RLIMIT_SIGPENDING, 5001, 5003 },
	{ RLIMIT_MSGQUEUE, 4096, 8192 },
	{ RLIMIT_RTTIME, 5000000, 6000000 },
};
#define NSET (int)(sizeof(set) / sizeof(set[0]))

static rlim_t cap(rlim_t v, rlim_t hard)
{
	return hard != RLIM_INFINITY && v > hard ? hard : v;
}

int main(int argc, char **argv)
{
	struct rlimit orig[RLIM_NLIMITS], want[RLIM_NLIMITS], rl;
	char limits[8192], *line;
	unsigned long long soft;
	int i, moved = 0;

	zdtm_init(argc, argv);
	for (i = 0; i < RLIM_NLIMITS; i++) {
		getrlimit(i, &orig[i]);
		want[i] = orig[i];
	}
	for (i = 0; i < NSET; i++) {
		struct rlimit *w = &want[set[i].res];
		w->rlim_max = cap(set[i].hard, orig[set[i].res].rlim_max);
		w->rlim_cur = cap(set[i].soft, w->rlim_max);
	}
	for (i = 0; i < RLIM_NLIMITS; i++)
		if (setrlimit(i, &want[i]))
			zdtm_fail("setrlimit(%d): %m", i);
	for (i = 0; i < RLIM_NLIMITS; i++) {
		getrlimit(i, &rl);
		if (rl.rlim_cur != want[i].rlim_cur || rl.rlim_max != want[i].rlim_max)
			zdtm_fail("limit %d did not take", i);
		moved += rl.rlim_cur != orig[i].rlim_cur || rl.rlim_max != orig[i].rlim_max;
	}
	if (moved < 12)
		zdtm_fail("only %d limits differ from the restorer's: the test could not tell", moved);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < RLIM_NLIMITS; i++) {
		getrlimit(i, &rl);
		zdtm_check(rl.rlim_cur == want[i].rlim_cur && rl.rlim_max == want[i].rlim_max,
			   "limit %d: %llu/%llu, set %llu/%llu", i, (unsigned long long)rl.rlim_cur,
			   (unsigned long long)rl.rlim_max, (unsigned long long)want[i].rlim_cur,
			   (unsigned long long)want[i].rlim_max);
	}
	zdtm_read_file("/proc/self/limits", limits, sizeof(limits));
	line = strstr(limits, "Max open files");
	zdtm_check(line && sscanf(line + 14, "%llu", &soft) == 1 && soft == want[RLIMIT_NOFILE].rlim_cur,
		   "/proc/self/limits disagrees on Max open files");
	zdtm_finish();
}
