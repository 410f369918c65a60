/*
 * transition_task_attrs: a thread changing its name, the process umask and the working
 * directory in a loop the whole time the process is dumped, while another thread checks that
 * the three always agree.
 *
 * State: generation g (a counter published like a seqlock: odd while changing) sets the
 * writer thread's name to "tr-g" (PR_SET_NAME), the umask to a value of g, and the cwd to one
 * of five directories of the test (chdir), then makes g even again. Before each change the
 * writer checks that what it set last is still there: PR_GET_NAME, the old umask returned by
 * umask(), getcwd(). A checker thread reads g, the writer's /proc/self/task/TID/comm, the
 * Umask of /proc/self/status and /proc/self/cwd, then g again.
 * Check: the writer always finds its last values (names, umask and cwd survive every
 * checkpoint, the cwd by path and inode); every stable reading of the checker (g even and
 * unchanged across it) shows the three values of that generation; after SIGTERM both threads
 * stop, the final state is generation g's, both made progress after zdtm_ready.
 * noauto: when the dump catches the checker with /proc/self/task/TID/comm of the writer open,
 * amber's restore opens that path before the thread exists and fails (ENOENT).
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define NDIRS 5

static char dirs[NDIRS][PATH_MAX];
static ino_t dir_ino[NDIRS];
static uint64_t gen;		/* 2g: stable at generation g; odd: changing */
static volatile int stop;
static pid_t writer_tid;
static uint64_t writer_bad, checker_bad, checks, stable;

static void name_of(uint64_t g, char *out)
{
	snprintf(out, 16, "tr-%llu", (unsigned long long)(g % 1000000000000ULL));
}

static mode_t umask_of(uint64_t g)
{
	return (mode_t)(zdtm_mix64(g) & 0777) | 0002;	/* never 0 */
}

static int dir_of(uint64_t g)
{
	return (int)(g % NDIRS);
}

static void *writer(void *arg)
{
	char n0[16];
	(void)arg;
	name_of(0, n0);
	if (prctl(PR_SET_NAME, n0))
		zdtm_fail("prctl: %m");
	__atomic_store_n(&writer_tid, gettid(), __ATOMIC_SEQ_CST);
	for (uint64_t g = 1; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); g++) {
		char want[16], name[17] = { 0 }, cwd[PATH_MAX];
		struct stat st;
		/* What generation g-1 left. */
		name_of(g - 1, want);
		prctl(PR_GET_NAME, name);
		__atomic_store_n(&gen, 2 * g - 1, __ATOMIC_SEQ_CST);
		mode_t old = umask(umask_of(g));
		if (strcmp(name, want) || old != umask_of(g - 1) || !getcwd(cwd, sizeof(cwd)) ||
		    strcmp(cwd, dirs[dir_of(g - 1)]) || stat(".", &st) || st.st_ino != dir_ino[dir_of(g - 1)]) {
			if (writer_bad++ < 5)
				zdtm_log("generation %llu: name '%s' (expected '%s'), umask %o (expected %o), cwd %s",
					 (unsigned long long)g - 1, name, want, old, umask_of(g - 1), cwd);
		}
		name_of(g, want);
		if (prctl(PR_SET_NAME, want) || chdir(dirs[dir_of(g)]))
			zdtm_fail("prctl/chdir: %m");
		__atomic_store_n(&gen, 2 * g, __ATOMIC_SEQ_CST);
		if (g % 16 == 0)
			usleep(50);
	}
	return NULL;
}

static void *checker(void *arg)
{
	char path[64], comm[64], status[4096], cwd[PATH_MAX];
	(void)arg;
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", writer_tid);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		uint64_t g1 = __atomic_load_n(&gen, __ATOMIC_SEQ_CST);
		if (g1 % 2) {
			sched_yield();
			continue;
		}
		int fd = open(path, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;
		if (fd >= 0)
			close(fd);
		fd = open("/proc/self/status", O_RDONLY);
		ssize_t m = fd >= 0 ? read(fd, status, sizeof(status) - 1) : -1;
		if (fd >= 0)
			close(fd);
		ssize_t c = readlink("/proc/self/cwd", cwd, sizeof(cwd) - 1);
		uint64_t g2 = __atomic_load_n(&gen, __ATOMIC_SEQ_CST);
		checks++;
		if (g1 != g2 || n <= 0 || m <= 0 || c <= 0)
			continue;
		stable++;
		comm[n] = 0;
		if (comm[n - 1] == '\n')
			comm[n - 1] = 0;
		status[m] = 0;
		cwd[c] = 0;
		uint64_t g = g1 / 2;
		char want[16];
		name_of(g, want);
		const char *u = strstr(status, "\nUmask:");
		unsigned um = u ? (unsigned)strtoul(u + 7, NULL, 8) : 07777;
		if ((strcmp(comm, want) || um != umask_of(g) || strcmp(cwd, dirs[dir_of(g)])) && checker_bad++ < 5)
			zdtm_log("stable generation %llu: comm '%s' (expected '%s'), Umask %o (expected %o), cwd %s (expected %s)",
				 (unsigned long long)g, comm, want, um, umask_of(g), cwd, dirs[dir_of(g)]);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t w, c;
	sigset_t term;
	uint64_t g_ready, stable_ready;
	char start[PATH_MAX], want[16];

	zdtm_init(argc, argv);
	if (!getcwd(start, sizeof(start)))
		zdtm_fail("getcwd: %m");
	for (int i = 0; i < NDIRS; i++) {
		char name[16];
		struct stat st;
		snprintf(name, sizeof(name), "d%d", i);
		snprintf(dirs[i], sizeof(dirs[i]), "%s", zdtm_tmp_path(name));
		rmdir(dirs[i]);
		if (mkdir(dirs[i], 0755) || stat(dirs[i], &st))
			zdtm_fail("mkdir %s: %m", dirs[i]);
		dir_ino[i] = st.st_ino;
	}
	/* Generation 0. */
	umask(umask_of(0));
	if (chdir(dirs[dir_of(0)]))
		zdtm_fail("chdir: %m");
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	if (pthread_create(&w, NULL, writer, NULL))
		zdtm_fail("pthread_create: %m");
	while (!__atomic_load_n(&writer_tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	if (pthread_create(&c, NULL, checker, NULL))
		zdtm_fail("pthread_create: %m");
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);
	while (__atomic_load_n(&gen, __ATOMIC_SEQ_CST) < 2000 || __atomic_load_n(&stable, __ATOMIC_SEQ_CST) < 100)
		usleep(1000);
	g_ready = __atomic_load_n(&gen, __ATOMIC_SEQ_CST);
	stable_ready = __atomic_load_n(&stable, __ATOMIC_SEQ_CST);
	zdtm_ready();
	zdtm_wait_for_term();
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(w, NULL);
	pthread_join(c, NULL);
	uint64_t g = gen / 2;
	char cwd[PATH_MAX];
	name_of(g, want);
	mode_t um = umask(0);
	zdtm_log("%llu generations (%llu at ready), %llu checks, %llu stable (%llu at ready)", (unsigned long long)g,
		 (unsigned long long)g_ready / 2, (unsigned long long)checks, (unsigned long long)stable,
		 (unsigned long long)stable_ready);
	zdtm_check(gen % 2 == 0, "stopped in the middle of a generation");
	zdtm_check(writer_bad == 0, "the writer found its values changed %llu times", (unsigned long long)writer_bad);
	zdtm_check(checker_bad == 0, "the checker saw %llu inconsistent generations", (unsigned long long)checker_bad);
	zdtm_check(um == umask_of(g), "final umask %o, expected %o", um, umask_of(g));
	zdtm_check(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, dirs[dir_of(g)]), "final cwd %s", cwd);
	zdtm_check(gen > g_ready && stable > stable_ready, "no progress after zdtm_ready");
	if (chdir(start))
		zdtm_fail("chdir back: %m");
	for (int i = 0; i < NDIRS; i++)
		rmdir(dirs[i]);
	zdtm_finish();
}
