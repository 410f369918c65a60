/*
 * seccomp_filters: a chain of two seccomp filters, in the main thread and a second thread
 * that inherited them.
 *
 * State: no_new_privs; filter 1 makes getppid() fail with EPERM; filter 2 (installed after)
 * makes uname() fail with ENOSYS; a thread created after both.
 * Check after SIGTERM, in both threads: /proc/thread-self/status says Seccomp 2 with 2
 * filters, getppid() gives EPERM, uname() gives ENOSYS, getpid() still works.
 */
#include "zdtm.h"
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static void deny(int nr, int err)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0))
		zdtm_fail("PR_SET_SECCOMP: %m");
}

static int status_field(const char *key)
{
	char path[64], line[256];
	int val = -1;
	snprintf(path, sizeof(path), "/proc/self/task/%ld/status", (long)syscall(SYS_gettid));
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			val = atoi(line + strlen(key) + 1);
	if (f)
		fclose(f);
	return val;
}

static void check(const char *who)
{
	struct utsname u;
	zdtm_check(status_field("Seccomp") == 2, "%s: Seccomp %d", who, status_field("Seccomp"));
	zdtm_check(status_field("Seccomp_filters") == 2, "%s: %d filters", who, status_field("Seccomp_filters"));
	errno = 0;
	zdtm_check(syscall(SYS_getppid) == -1 && errno == EPERM, "%s: getppid allowed (errno %d)", who, errno);
	errno = 0;
	zdtm_check(uname(&u) == -1 && errno == ENOSYS, "%s: uname allowed (errno %d)", who, errno);
	zdtm_check(syscall(SYS_getpid) == getpid(), "%s: getpid broken", who);
}

static volatile int stop, checked;

static void *worker(void *arg)
{
	(void)arg;
	while (!stop)
		usleep(10000);
	check("thread");
	checked = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;

	zdtm_init(argc, argv);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		zdtm_fail("no_new_privs: %m");
	deny(SYS_getppid, EPERM);
	deny(SYS_uname, ENOSYS);
	pthread_create(&th, NULL, worker, NULL);

	zdtm_ready();
	zdtm_wait_for_term();

	check("main");
	stop = 1;
	pthread_join(th, NULL);
	zdtm_check(checked, "thread did not check");
	zdtm_finish();
}
