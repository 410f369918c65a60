/*
 * hugetlb_anon_refused: a private anonymous MAP_HUGETLB mapping.
 *
 * amber does not carry hugetlb memory: the dump must be refused, naming the mapping, and
 * leave the task running. The mapping needs a free huge page: without one (HugePages_Total
 * of /proc/meminfo is 0 on most machines) the test skips itself, since the state it is about
 * cannot be made.
 * State: one huge page mapped MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB, filled with a pattern.
 * Check after SIGTERM: the pattern, and the mapping is still hugetlb ("ht" in its smaps VmFlags).
 */
#include "zdtm.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE (2UL << 20)

static int vmflag_ht(void *addr)
{
	static char buf[1 << 20];
	char want[32], *p, *e;

	zdtm_read_file("/proc/self/smaps", buf, sizeof(buf));
	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	p = strstr(buf, want);
	if (!p || !(p = strstr(p, "VmFlags:")))
		return 0;
	e = strchr(p, '\n');
	if (e)
		*e = '\0';
	return strstr(p, " ht") != NULL;
}

int main(int argc, char **argv)
{
	char total[64] = "?";
	uint8_t *m;

	zdtm_init(argc, argv);
	{
		char mi[8192], *p;
		zdtm_read_file("/proc/meminfo", mi, sizeof(mi));
		if ((p = strstr(mi, "HugePages_Total:")))
			sscanf(p, "HugePages_Total: %63s", total);
	}
	m = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (m == MAP_FAILED)
		zdtm_skip("no MAP_HUGETLB mapping can be made here: %s (HugePages_Total %s)", strerror(errno), total);
	zdtm_fill(m, HUGE, 11);
	if (!vmflag_ht(m))
		zdtm_fail("the MAP_HUGETLB mapping at %p has no ht VmFlag", m);
	zdtm_log("HugePages_Total %s: mapped at %p", total, m);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(zdtm_verify(m, HUGE, 11) < 0, "the huge page's contents differ");
	zdtm_check(vmflag_ht(m), "the mapping is no longer hugetlb");
	zdtm_finish();
}
