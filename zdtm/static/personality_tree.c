/*
 * personality_tree: different personalities in a parent and its child.
 *
 * State: the test R keeps PER_LINUX with ADDR_NO_RANDOMIZE; its child C sets PER_LINUX with
 * READ_IMPLIES_EXEC and UNAME26 (and not ADDR_NO_RANDOMIZE).
 * Check after SIGTERM: personality(0xffffffff) in each is what it set (and /proc/PID/personality
 * as R reads it for both); behaviour in C (told through a shared page): a new PROT_READ
 * anonymous mapping shows as r-xp (READ_IMPLIES_EXEC), uname's release starts with "2.6.";
 * in R a PROT_READ mapping stays r--p and uname is the real release.
 */
#include "kid_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/utsname.h>

static volatile int *sh;

static unsigned long proc_pers(pid_t pid)
{
	char p[64], b[64];
	snprintf(p, sizeof(p), "/proc/%d/personality", (int)pid);
	zdtm_read_file(p, b, sizeof(b));
	return strtoul(b, NULL, 16);
}

static int read_maps_as(const char *perms)
{
	void *a = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ok = a != MAP_FAILED && zdtm_range_perms(a, 4096, perms) == 0;
	if (a != MAP_FAILED)
		munmap(a, 4096);
	return ok;
}

int main(int argc, char **argv)
{
	const unsigned long rp = PER_LINUX | ADDR_NO_RANDOMIZE, cp = PER_LINUX | READ_IMPLIES_EXEC | UNAME26;
	struct utsname u0, u;
	pid_t c;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	uname(&u0);
	if (personality(rp) < 0)
		zdtm_fail("personality: %m");
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int before;
		if (personality(cp) < 0)
			_exit(10);
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[1], 1, 1000000))
			;
		before = zdtm_failures();
		zdtm_check((unsigned long)personality(0xffffffff) == cp, "C: personality %#x, expected %#lx", personality(0xffffffff), cp);
		zdtm_check(read_maps_as("r-xp"), "C: a PROT_READ mapping is not executable (READ_IMPLIES_EXEC lost)");
		uname(&u);
		zdtm_check(!strncmp(u.release, "2.6.", 4), "C: uname release '%s' (UNAME26 lost)", u.release);
		_exit(zdtm_failures() != before);
	}
	if (!kid_wait_word(&sh[0], 1, 5000))
		zdtm_fail("C did not start");
	if (proc_pers(c) != cp || !read_maps_as("r--p"))
		zdtm_fail("set-up: C %#lx", proc_pers(c));

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check((unsigned long)personality(0xffffffff) == rp, "R: personality %#x, expected %#lx", personality(0xffffffff), rp);
	zdtm_check(proc_pers(getpid()) == rp && proc_pers(c) == cp, "/proc personality: R %#lx C %#lx, expected %#lx %#lx",
		   proc_pers(getpid()), proc_pers(c), rp, cp);
	zdtm_check(read_maps_as("r--p"), "R: a PROT_READ mapping is executable");
	uname(&u);
	zdtm_check(!strcmp(u.release, u0.release), "R: uname release '%s', expected '%s'", u.release, u0.release);
	kid_set_word(&sh[1], 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
