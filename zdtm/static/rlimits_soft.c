/*
 * rlimits_soft: resource limits, soft below hard, and a lowered hard one.
 *
 * State: soft limits lowered for NOFILE (200), STACK (6 MiB), CORE
 * (1 MiB), CPU (7200 s), FSIZE (1 GiB), DATA (64 GiB); MSGQUEUE lowered
 * to soft 4096 / hard 8192 (a hard limit can only go down). Each is
 * capped at the hard limit the test was started with.
 * Check after SIGTERM: getrlimit() of every resource equals what was read
 * before the checkpoint, and the lowered ones equal the values set;
 * /proc/self/limits shows the same soft value for "Max open files".
 */
#include "zdtm.h"
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static const struct { int res; rlim_t soft; } set[] = {
	{ RLIMIT_NOFILE, 200 }, { RLIMIT_STACK, 6 << 20 }, { RLIMIT_CORE, 1 << 20 },
	{ RLIMIT_CPU, 7200 }, { RLIMIT_FSIZE, 1UL << 30 }, { RLIMIT_DATA, 64UL << 30 },
};
#define NSET (int)(sizeof(set) / sizeof(set[0]))

static rlim_t cap(rlim_t v, rlim_t hard)
{
	return hard != RLIM_INFINITY && v > hard ? hard : v;
}

int main(int argc, char **argv)
{
	struct rlimit before[RLIM_NLIMITS], want[RLIM_NLIMITS], rl;
	char limits[8192], *line;
	unsigned long long soft;
	int i;

	zdtm_init(argc, argv);
	for (i = 0; i < RLIM_NLIMITS; i++)
		getrlimit(i, &want[i]);
	for (i = 0; i < NSET; i++)
		want[set[i].res].rlim_cur = cap(set[i].soft, want[set[i].res].rlim_max);
	want[RLIMIT_MSGQUEUE].rlim_max = cap(8192, want[RLIMIT_MSGQUEUE].rlim_max);
	want[RLIMIT_MSGQUEUE].rlim_cur = cap(4096, want[RLIMIT_MSGQUEUE].rlim_max);
	for (i = 0; i < RLIM_NLIMITS; i++)
		if (setrlimit(i, &want[i]))
			zdtm_fail("setrlimit(%d): %m", i);
	for (i = 0; i < RLIM_NLIMITS; i++)
		getrlimit(i, &before[i]);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < RLIM_NLIMITS; i++) {
		getrlimit(i, &rl);
		zdtm_check(rl.rlim_cur == before[i].rlim_cur && rl.rlim_max == before[i].rlim_max,
			   "limit %d: %llu/%llu, before %llu/%llu", i, (unsigned long long)rl.rlim_cur,
			   (unsigned long long)rl.rlim_max, (unsigned long long)before[i].rlim_cur,
			   (unsigned long long)before[i].rlim_max);
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
