/*
 * mprotect_regions: anonymous regions with every protection combination.
 *
 * State: eight private anonymous regions of 3 pages, one per combination
 * of PROT_READ/PROT_WRITE/PROT_EXEC (PROT_NONE included). Each was filled
 * while writable: a small function "mov $id, %eax; ret" at its start, a
 * seeded pattern after it; then mprotect()ed to its final protection.
 * Check after SIGTERM: /proc/self/maps shows the exact perms for each
 * region; contents (read through /proc/self/mem, which ignores
 * protections) are intact; and the hardware agrees: writes fault exactly
 * where PROT_WRITE is missing, reads fault on PROT_NONE (and on the
 * exec-only region exactly if they did before), calling the
 * function works exactly where PROT_EXEC is set and returns its id.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NPAGES 3
#define CODE_LEN 6

static const int prots[8] = {
	PROT_NONE, PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE,
	PROT_EXEC, PROT_READ | PROT_EXEC, PROT_WRITE | PROT_EXEC,
	PROT_READ | PROT_WRITE | PROT_EXEC,
};

static void perms_of(int prot, char *out)
{
	out[0] = prot & PROT_READ ? 'r' : '-';
	out[1] = prot & PROT_WRITE ? 'w' : '-';
	out[2] = prot & PROT_EXEC ? 'x' : '-';
	out[3] = 'p';
	out[4] = '\0';
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t len = NPAGES * psz;
	uint8_t *reg[8], *copy;
	char want[5];
	int k, fd, ret, xonly_read;

	zdtm_init(argc, argv);
	for (k = 0; k < 8; k++) {
		int id = 0x1000 + k;
		reg[k] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (reg[k] == MAP_FAILED)
			zdtm_fail("mmap: %m");
		zdtm_fill(reg[k], len, 500 + k);
		reg[k][0] = 0xb8;			/* mov $id, %eax */
		memcpy(reg[k] + 1, &id, 4);
		reg[k][5] = 0xc3;			/* ret */
		if (mprotect(reg[k], len, prots[k]))
			zdtm_fail("mprotect %d: %m", prots[k]);
	}
	/* Execute-only pages (PKU) may refuse reads: whatever it is, it must stay so. */
	xonly_read = zdtm_probe(reg[4] + 2 * psz, ZDTM_PROBE_READ, 0, NULL);
	zdtm_log("poke %p", reg[0] + psz + 3);	/* inside the PROT_NONE region */

	zdtm_ready();
	zdtm_wait_for_term();

	copy = xmalloc(len);
	fd = open("/proc/self/mem", O_RDONLY);
	if (fd < 0)
		zdtm_fail("open /proc/self/mem: %m");
	for (k = 0; k < 8; k++) {
		int p = prots[k], id = 0x1000 + k, r, w, x;
		uint8_t code[CODE_LEN] = { 0xb8, 0, 0, 0, 0, 0xc3 };
		ssize_t bad;

		memcpy(code + 1, &id, 4);
		perms_of(p, want);
		zdtm_check(zdtm_range_perms(reg[k], len, want) == 0,
			   "region %d at %p: perms are not %s", k, reg[k], want);
		if (pread(fd, copy, len, (off_t)(unsigned long)reg[k]) != (ssize_t)len)
			zdtm_fail("pread /proc/self/mem at %p: %m", reg[k]);
		zdtm_check(!memcmp(copy, code, CODE_LEN), "region %d: code bytes changed", k);
		bad = zdtm_verify_at(copy + CODE_LEN, len - CODE_LEN, 500 + k, CODE_LEN);
		zdtm_check(bad < 0, "region %d (%s): pattern differs at %zd", k, want, bad + CODE_LEN);

		r = zdtm_probe(reg[k] + 2 * psz, ZDTM_PROBE_READ, 0, NULL);
		w = zdtm_probe(reg[k] + 2 * psz + 1, ZDTM_PROBE_WRITE, copy[2 * psz + 1], NULL);
		ret = 0;
		x = zdtm_probe(reg[k], ZDTM_PROBE_EXEC, 0, &ret);
		zdtm_check(r == (p == PROT_EXEC ? xonly_read : p != PROT_NONE),
			   "region %d (%s): read %s", k, want, r ? "works" : "faults");
		zdtm_check(w == !!(p & PROT_WRITE), "region %d (%s): write %s", k, want,
			   w ? "works" : "faults");
		zdtm_check(x == !!(p & PROT_EXEC), "region %d (%s): exec %s", k, want,
			   x ? "works" : "faults");
		zdtm_check(!x || ret == id, "region %d: code returned %#x, expected %#x", k, ret, id);
	}
	close(fd);
	zdtm_finish();
}
