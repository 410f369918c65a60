/*
 * madvise_flags: anonymous regions carrying madvise() VMA flags.
 *
 * State: inside one PROT_NONE reservation, seven 8-page rw regions separated by guard pages,
 * each filled with its own pattern: one each with MADV_DONTFORK (VmFlags "dc"),
 * MADV_DONTDUMP ("dd"), MADV_WIPEONFORK ("wf"), MADV_HUGEPAGE ("hg"), MADV_NOHUGEPAGE
 * ("nh"), MADV_MERGEABLE ("mg"; left out if the kernel has no KSM or THP for "hg") and one
 * without advice.
 * Check after SIGTERM: each region is still one VMA of exactly 8 pages whose VmFlags have
 * its own flag and none of the other five (the plain one: none of them), contents intact.
 * Behaviour: a forked child has no mapping at all where the DONTFORK region is, reads
 * zeros in the WIPEONFORK region, and finds every other region's pattern; the parent's
 * WIPEONFORK region keeps its pattern.
 */
#include "zdtm.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define NP 8
#define NR 7

struct vma_info {
	unsigned long start, end;
	char flags[256];
};

static char smaps_buf[1 << 20];

/* The smaps entry of the VMA containing addr: 0 if found. */
static int smaps_vma(const void *addr, struct vma_info *v)
{
	char *line, *save = NULL;
	int in = 0;

	zdtm_read_file("/proc/self/smaps", smaps_buf, sizeof(smaps_buf));
	memset(v, 0, sizeof(*v));
	for (line = strtok_r(smaps_buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long s, e;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) == 3 && strchr(line, '-') < strchr(line, ' ')) {
			if (in)
				return 0;
			in = (unsigned long)addr >= s && (unsigned long)addr < e;
			v->start = s;
			v->end = e;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8))
			snprintf(v->flags, sizeof(v->flags), " %s ", line + 8);
	}
	return in ? 0 : -1;
}

static int has_flag(const struct vma_info *v, const char *f)
{
	char pat[8];
	snprintf(pat, sizeof(pat), " %s ", f);
	return strstr(v->flags, pat) != NULL;
}

static const struct {
	const char *name, *flag;
	int advice;
} R[NR] = {
	{ "DONTFORK", "dc", MADV_DONTFORK },
	{ "DONTDUMP", "dd", MADV_DONTDUMP },
	{ "WIPEONFORK", "wf", MADV_WIPEONFORK },
	{ "HUGEPAGE", "hg", MADV_HUGEPAGE },
	{ "NOHUGEPAGE", "nh", MADV_NOHUGEPAGE },
	{ "MERGEABLE", "mg", MADV_MERGEABLE },
	{ "plain", NULL, 0 },
};
enum { DC, DD, WF, HG, NH, MG, PLAIN };

static uint8_t *reg[NR];
static int used[NR];
static long len;

static void child_checks(void)
{
	struct zdtm_map m;
	int i;

	for (i = 0; i < NR; i++) {
		if (!used[i])
			continue;
		if (i == DC) {
			zdtm_check(zdtm_find_map(reg[i], &m) < 0 && zdtm_find_map(reg[i] + len - 1, &m) < 0,
				   "child: the DONTFORK region is mapped");
		} else if (i == WF) {
			zdtm_check(zdtm_find_nonzero(reg[i], len) < 0, "child: the WIPEONFORK region is not zero");
		} else {
			zdtm_check(zdtm_verify(reg[i], len, 60 + i) < 0, "child: region %s differs", R[i].name);
		}
	}
}

int main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct vma_info v;
	uint8_t *res;
	pid_t child;
	int i, j, st;

	zdtm_init(argc, argv);
	len = NP * pg;
	res = mmap(NULL, NR * (NP + 1) * pg + pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		zdtm_fail("mmap: %m");
	for (i = 0; i < NR; i++) {
		reg[i] = mmap(res + pg + i * (NP + 1) * pg, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (reg[i] == MAP_FAILED)
			zdtm_fail("mmap: %m");
		zdtm_fill(reg[i], len, 60 + i);
		used[i] = 1;
		if (R[i].flag && madvise(reg[i], len, R[i].advice)) {
			if (errno == EINVAL && (i == HG || i == MG)) {
				zdtm_log("MADV_%s not supported here: left out", R[i].name);
				used[i] = 0;
				continue;
			}
			zdtm_fail("madvise(MADV_%s): %m", R[i].name);
		}
		if (smaps_vma(reg[i], &v) || (R[i].flag && !has_flag(&v, R[i].flag)))
			zdtm_fail("region %s: VmFlags%s", R[i].name, v.flags);
		zdtm_log("region %s at %p", R[i].name, (void *)reg[i]);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < NR; i++) {
		if (!used[i])
			continue;
		if (!zdtm_check(smaps_vma(reg[i], &v) == 0, "region %s is not mapped", R[i].name))
			continue;
		zdtm_check(v.start == (unsigned long)reg[i] && v.end == (unsigned long)(reg[i] + len),
			   "region %s: VMA %lx-%lx, expected %p-%p", R[i].name, v.start, v.end, (void *)reg[i],
			   (void *)(reg[i] + len));
		for (j = 0; j < NR; j++) {
			if (!R[j].flag)
				continue;
			if (j == i)
				zdtm_check(has_flag(&v, R[j].flag), "region %s lost \"%s\", VmFlags:%s", R[i].name,
					   R[j].flag, v.flags);
			else
				zdtm_check(!has_flag(&v, R[j].flag), "region %s has \"%s\", VmFlags:%s", R[i].name,
					   R[j].flag, v.flags);
		}
		zdtm_check(zdtm_verify(reg[i], len, 60 + i) < 0, "region %s differs", R[i].name);
	}

	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		int before = zdtm_failures();
		child_checks();
		_exit(zdtm_failures() != before);
	}
	if (waitpid(child, &st, 0) != child)
		zdtm_fail("waitpid: %m");
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child saw the regions wrong (status %#x)", st);
	zdtm_check(zdtm_verify(reg[WF], len, 60 + WF) < 0, "the WIPEONFORK region differs in the parent after fork");
	zdtm_finish();
}
