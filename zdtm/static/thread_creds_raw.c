/*
 * thread_creds_raw: threads of one process with credentials of their own.
 *
 * glibc's setresuid() changes every thread; the raw syscall changes only the calling one.
 * State (a root process): thread U calls SYS_setresuid(1000, 1001, 1002) and
 * SYS_setresgid(1100, 1101, 1102) directly (fsuid follows euid: 1001; its capabilities
 * are gone), thread F keeps uid 0 but calls SYS_setfsuid(2000) and SYS_setfsgid(2100),
 * and the main thread keeps root (thread_creds_raw_leader, built from this source: the main
 * thread is the one that calls SYS_setresuid, thread R keeps root). The Uid:/Gid:/CapEff:
 * lines of each thread's /proc/self/task/TID/status are recorded before the checkpoint.
 * Check after SIGTERM: each thread's three lines equal the recorded ones (read by the main
 * thread), and each thread checks its own ids with the raw SYS_getresuid/SYS_getresgid and
 * setfsuid(-1)/setfsgid(-1) (which return the current value). The main thread is still
 * uid 0 with a full effective set (or, in the variant, has none), and the unprivileged thread
 * still cannot become root again (EPERM).
 */
#include "zdtm.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct th {
	const char *name;
	uid_t r, e, s, fs;
	gid_t gr, ge, gs, gfs;
	int raw_setres, raw_fs;
	pid_t tid;
	char lines[512];
	volatile int ready, done, failed;
	pthread_t t;
};

#ifndef LEADER_UNPRIVILEGED
#define LEADER_UNPRIVILEGED 0
#endif

/* T[0] is the main thread; with LEADER_UNPRIVILEGED it is the one that gives up root. */
static struct th T[3] = {
#if LEADER_UNPRIVILEGED
	{ "main", 1000, 1001, 1002, 1001, 1100, 1101, 1102, 1101, 1, 0 },
	{ "R", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
#else
	{ "main", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "U", 1000, 1001, 1002, 1001, 1100, 1101, 1102, 1101, 1, 0 },
#endif
	{ "F", 0, 0, 0, 2000, 0, 0, 0, 2100, 0, 1 },
};
static volatile int go_check;
/* With an unprivileged main thread, thread R (root) writes the pidfile for it: 1 asks, 2 done. */
static volatile int ready_req;

/* Uid:, Gid: and CapEff: of /proc/self/task/TID/status on one string. */
static void thread_lines(pid_t tid, char *out, size_t size)
{
	char path[64], buf[4096];
	static const char *keys[] = { "\nUid:", "\nGid:", "\nCapEff:" };
	size_t used = 0;
	int k;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	zdtm_read_file(path, buf, sizeof(buf));
	out[0] = '\0';
	for (k = 0; k < 3; k++) {
		char *p = strstr(buf, keys[k]), *e;
		if (!p)
			continue;
		p++;
		e = strchr(p, '\n');
		used += snprintf(out + used, size - used, "%.*s|", e ? (int)(e - p) : (int)strlen(p), p);
	}
}

static int own_ids_ok(struct th *t)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	int ok = 1;

	syscall(SYS_getresuid, &r, &e, &s);
	syscall(SYS_getresgid, &gr, &ge, &gs);
	ok &= zdtm_check(r == t->r && e == t->e && s == t->s, "%s: uids %u/%u/%u, expected %u/%u/%u", t->name, r, e,
			 s, t->r, t->e, t->s);
	ok &= zdtm_check(gr == t->gr && ge == t->ge && gs == t->gs, "%s: gids %u/%u/%u, expected %u/%u/%u", t->name,
			 gr, ge, gs, t->gr, t->ge, t->gs);
	ok &= zdtm_check((uid_t)syscall(SYS_setfsuid, -1) == t->fs, "%s: fsuid %ld, expected %u", t->name,
			 syscall(SYS_setfsuid, -1), t->fs);
	ok &= zdtm_check((gid_t)syscall(SYS_setfsgid, -1) == t->gfs, "%s: fsgid %ld, expected %u", t->name,
			 syscall(SYS_setfsgid, -1), t->gfs);
	return ok;
}

static void set_own_ids(struct th *t)
{
	if (t->raw_setres) {
		if (syscall(SYS_setresgid, t->gr, t->ge, t->gs) || syscall(SYS_setresuid, t->r, t->e, t->s))
			t->failed = 1;
	}
	if (t->raw_fs) {
		syscall(SYS_setfsuid, t->fs);
		syscall(SYS_setfsgid, t->gfs);
	}
}

static void *body(void *arg)
{
	struct th *t = arg;

	t->tid = syscall(SYS_gettid);
	set_own_ids(t);
	t->ready = 1;
	while (!go_check) {
		if (ready_req == 1 && t == &T[1]) {
			zdtm_ready();
			ready_req = 2;
		}
		zdtm_sleep_ms(5);
	}
	if (!own_ids_ok(t))
		t->failed = 1;
	if (t->raw_setres) {
		errno = 0;
		if (!zdtm_check(syscall(SYS_setresuid, 0, 0, 0) < 0 && errno == EPERM, "%s: became root again", t->name))
			t->failed = 1;
	}
	t->done = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	char now[512];
	int i, k;

	zdtm_init(argc, argv);
	if (getuid() != 0)
		zdtm_fail("needs root");
	T[0].tid = getpid();
	for (i = 1; i < 3; i++) {
		if (pthread_create(&T[i].t, NULL, body, &T[i]))
			zdtm_fail("pthread_create");
		for (k = 0; k < 5000 && !T[i].ready; k++)
			zdtm_sleep_ms(1);
		if (!T[i].ready || T[i].failed)
			zdtm_fail("thread %s did not set its ids", T[i].name);
	}
	set_own_ids(&T[0]);
	if (T[0].failed)
		zdtm_fail("the main thread did not set its ids");
	for (i = 0; i < 3; i++) {
		thread_lines(T[i].tid, T[i].lines, sizeof(T[i].lines));
		zdtm_log("%s (tid %d): %s", T[i].name, T[i].tid, T[i].lines);
	}
	if (!strcmp(T[0].lines, T[1].lines) || !strcmp(T[0].lines, T[2].lines))
		zdtm_fail("the threads' credentials are not distinct before the checkpoint");

	if (LEADER_UNPRIVILEGED) {
		/* The pidfile's directory is root's: the root thread writes it. */
		ready_req = 1;
		while (ready_req != 2)
			zdtm_sleep_ms(5);
	} else {
		zdtm_ready();
	}
	zdtm_wait_for_term();

	for (i = 0; i < 3; i++) {
		thread_lines(T[i].tid, now, sizeof(now));
		zdtm_check(!strcmp(now, T[i].lines), "%s (tid %d): '%s', was '%s'", T[i].name, T[i].tid, now, T[i].lines);
	}
	own_ids_ok(&T[0]);
	{
		char cap[64];
		zdtm_status_field("CapEff", cap, sizeof(cap));
		if (LEADER_UNPRIVILEGED) {
			zdtm_check(!strcmp(cap, "0000000000000000"), "main: effective capabilities %s, expected none", cap);
			errno = 0;
			zdtm_check(syscall(SYS_setresuid, 0, 0, 0) < 0 && errno == EPERM, "main: became root again");
		} else {
			zdtm_check(strcmp(cap, "0000000000000000") != 0, "main: no effective capabilities left (%s)", cap);
		}
	}
	go_check = 1;
	for (i = 1; i < 3; i++) {
		pthread_join(T[i].t, NULL);
		zdtm_check(T[i].done && !T[i].failed, "thread %s failed its own checks", T[i].name);
	}
	zdtm_finish();
}
