/*
 * epoll_wait_restart: threads blocked in epoll_wait (no timeout), epoll_pwait (10 minutes) and
 * epoll_pwait2, with nothing ready and no signal coming. A checkpoint must not make them return:
 * the kernel answers a freeze with EINTR here and never restarts epoll waits itself.
 * Check after SIGTERM: each thread is still waiting (it has not returned); the main thread then
 * writes its eventfd and each wait returns exactly 1 event, with the right data, and no error.
 */
#include "zdtm.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define N 3

struct waiter {
	int ep, efd, kind;
	volatile int returned, ret, err;
	uint64_t data;
};

static void *wait_one(void *arg)
{
	struct waiter *w = arg;
	struct epoll_event ev;
	sigset_t none;
	struct timespec ten_min = { 600, 0 };

	sigemptyset(&none);
	sigaddset(&none, SIGTERM); /* the main thread takes SIGTERM */
	pthread_sigmask(SIG_BLOCK, &none, NULL);
	if (w->kind == 0)
		w->ret = epoll_wait(w->ep, &ev, 1, -1);
	else if (w->kind == 1)
		w->ret = epoll_pwait(w->ep, &ev, 1, 600000, &none);
	else
		w->ret = syscall(SYS_epoll_pwait2, w->ep, &ev, 1, &ten_min, NULL, 0);
	w->err = errno;
	w->data = ev.data.u64;
	w->returned = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	struct waiter w[N];
	pthread_t t[N];
	struct epoll_event ev;
	uint64_t one = 1;
	int i;

	zdtm_init(argc, argv);
	for (i = 0; i < N; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].kind = i;
		w[i].ep = epoll_create1(0);
		w[i].efd = eventfd(0, EFD_NONBLOCK);
		ev.events = EPOLLIN;
		ev.data.u64 = 0x1000 + i;
		if (w[i].ep < 0 || w[i].efd < 0 || epoll_ctl(w[i].ep, EPOLL_CTL_ADD, w[i].efd, &ev))
			zdtm_fail("epoll setup: %m");
		if (pthread_create(&t[i], NULL, wait_one, &w[i]))
			zdtm_fail("pthread_create");
	}
	zdtm_sleep_ms(100);
	/* epoll_pwait2 is 5.11+: on older kernels its waiter ends at once with ENOSYS; the others stay. */
	int n = N;
	if (w[N - 1].returned && w[N - 1].ret < 0 && w[N - 1].err == ENOSYS) {
		zdtm_log("epoll_pwait2: ENOSYS, left out");
		pthread_join(t[N - 1], NULL);
		n = N - 1;
	}
	for (i = 0; i < n; i++)
		if (w[i].returned)
			zdtm_fail("waiter %d returned before the checkpoint", i);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < n; i++)
		zdtm_check(!w[i].returned, "waiter %d (kind %d) returned %d (%s) without an event", i, i, w[i].ret, strerror(w[i].err));
	for (i = 0; i < n; i++)
		if (write(w[i].efd, &one, sizeof(one)) != sizeof(one))
			zdtm_fail("write: %m");
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		zdtm_check(w[i].ret == 1 && w[i].data == (uint64_t)(0x1000 + i), "waiter %d: ret %d data %llx", i, w[i].ret, (unsigned long long)w[i].data);
	}
	zdtm_finish();
}
