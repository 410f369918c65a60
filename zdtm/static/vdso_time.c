/*
 * vdso_time: the vDSO and its data pages, used for time.
 *
 * State: the [vdso], [vvar] (and [vvar_vclock] on newer kernels) special
 * mappings at the addresses the kernel chose, as recorded from
 * /proc/self/maps and AT_SYSINFO_EHDR; clocks read before the checkpoint.
 * Check after SIGTERM: the special mappings are at the same addresses with
 * the same sizes and AT_SYSINFO_EHDR still points at an ELF image there;
 * clock_gettime() (served by the vDSO) agrees within 50 ms with the raw
 * clock_gettime syscall for MONOTONIC, REALTIME and BOOTTIME, and so do
 * gettimeofday() and time(); MONOTONIC did not go back from its
 * pre-checkpoint value, advances by at least 20 ms over a 20 ms sleep
 * (a stale copy of the data page would not) and is non-decreasing over
 * 100000 calls.
 */
#include "zdtm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAXSPECIAL 4

struct special {
	char name[32];
	unsigned long start, end;
};

static int list_special(struct special *s)
{
	static char buf[1 << 20];
	char *line;
	int n = 0;

	zdtm_read_file("/proc/self/maps", buf, sizeof(buf));
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *name = strrchr(line, ' ');
		if (!name || (strncmp(name, " [vdso]", 7) && strncmp(name, " [vvar", 6)))
			continue;
		if (n == MAXSPECIAL)
			zdtm_fail("too many special mappings");
		sscanf(line, "%lx-%lx", &s[n].start, &s[n].end);
		snprintf(s[n].name, sizeof(s[n].name), "%s", name + 1);
		n++;
	}
	return n;
}

static int64_t ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

int main(int argc, char **argv)
{
	static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME };
	struct special before[MAXSPECIAL], after[MAXSPECIAL];
	struct timespec mono0, real0, a, b;
	unsigned long ehdr;
	struct timeval tv;
	int nb, na, k, i;
	int64_t prev;

	zdtm_init(argc, argv);
	ehdr = getauxval(AT_SYSINFO_EHDR);
	if (!ehdr)
		zdtm_fail("no vDSO (AT_SYSINFO_EHDR)");
	nb = list_special(before);
	for (k = 0; k < nb; k++)
		zdtm_log("%s %lx-%lx", before[k].name, before[k].start, before[k].end);
	clock_gettime(CLOCK_MONOTONIC, &mono0);
	clock_gettime(CLOCK_REALTIME, &real0);

	zdtm_ready();
	zdtm_wait_for_term();

	na = list_special(after);
	zdtm_check(na == nb, "%d special mappings, expected %d", na, nb);
	for (k = 0; k < nb && k < na; k++)
		zdtm_check(!strcmp(after[k].name, before[k].name) && after[k].start == before[k].start &&
			   after[k].end == before[k].end, "%s %lx-%lx, expected %s %lx-%lx",
			   after[k].name, after[k].start, after[k].end, before[k].name,
			   before[k].start, before[k].end);
	zdtm_check(getauxval(AT_SYSINFO_EHDR) == ehdr, "AT_SYSINFO_EHDR changed");
	zdtm_check(!memcmp((void *)ehdr, "\177ELF", 4), "no ELF header at AT_SYSINFO_EHDR");

	for (k = 0; k < 3; k++) {
		clock_gettime(clocks[k], &a);
		syscall(SYS_clock_gettime, clocks[k], &b);
		zdtm_check(llabs(ns(&b) - ns(&a)) < 50000000, "clock %d: vdso %lld ns, syscall %lld ns",
			   clocks[k], (long long)ns(&a), (long long)ns(&b));
	}
	gettimeofday(&tv, NULL);
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
	zdtm_check(llabs((int64_t)tv.tv_sec * 1000000 + tv.tv_usec - ns(&b) / 1000) < 50000,
		   "gettimeofday disagrees with the kernel");
	zdtm_check(llabs((long long)time(NULL) - b.tv_sec) <= 1, "time() disagrees with the kernel");

	clock_gettime(CLOCK_MONOTONIC, &a);
	zdtm_check(ns(&a) >= ns(&mono0), "CLOCK_MONOTONIC went back across the checkpoint");
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
	zdtm_check(ns(&b) >= ns(&real0) - 1000000000LL, "CLOCK_REALTIME went back by more than 1 s");
	/* Time moves on through the vDSO (a stale copy of the data page would not). */
	{
		struct timespec nap = { 0, 20000000 };
		syscall(SYS_nanosleep, &nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &b);
		zdtm_check(ns(&b) - ns(&a) >= 20000000, "CLOCK_MONOTONIC advanced %lld ns over a 20 ms sleep",
			   (long long)(ns(&b) - ns(&a)));
		a = b;
	}
	prev = ns(&a);
	for (i = 0; i < 100000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (!zdtm_check(ns(&a) >= prev, "CLOCK_MONOTONIC went back at call %d", i))
			break;
		prev = ns(&a);
	}
	zdtm_finish();
}
