/*
 * thread_read_blocked: threads blocked on pipes, an eventfd and epoll.
 *
 * State (threads block SIGTERM):
 *   T1 blocked in read() on the empty pipe A;
 *   T2 blocked writing 256 KiB of pattern into pipe B (64 KiB capacity) with a write loop
 *      that carries on after short writes;
 *   T3 blocked in read() on an eventfd at 0;
 *   T4 blocked in epoll_wait(-1) on an epoll watching the empty pipe C (data 0xc0ffee),
 *      called again after EINTR (which a stop, the checkpoint's freeze included, causes).
 * Check after SIGTERM: no thread has returned; pipe B holds exactly its capacity (FIONREAD).
 * Then: 4000 pattern bytes written to A come out of T1's read intact; reading B gives the
 * whole 256 KiB pattern in order and T2 finishes with its full count; writing 5 to the
 * eventfd makes T3 read 5; a byte in C makes T4 return one event with data 0xc0ffee. Each
 * thread must return within 5 s.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define A_LEN 4000
#define B_LEN (256 << 10)

static int pa[2], pb[2], pc[2], efd, ep;
static volatile int started[5], done[5];
static volatile ssize_t t1_got, t2_put;
static volatile uint64_t t3_val;
static volatile int t4_n, t4_eintr;
static volatile uint64_t t4_data;
static uint8_t t1_buf[A_LEN * 2];

static void *t1(void *a)
{
	(void)a;
	started[1] = 1;
	t1_got = read(pa[0], t1_buf, sizeof(t1_buf));
	done[1] = 1;
	return NULL;
}

static void *t2(void *a)
{
	uint8_t *buf = xmalloc(B_LEN);
	size_t put = 0;
	(void)a;
	zdtm_fill(buf, B_LEN, 222);
	started[2] = 1;
	while (put < B_LEN) {
		ssize_t n = write(pb[1], buf + put, B_LEN - put);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		put += n;
	}
	t2_put = put;
	done[2] = 1;
	return NULL;
}

static void *t3(void *a)
{
	uint64_t v = 0;
	(void)a;
	started[3] = 1;
	if (read(efd, &v, 8) == 8)
		t3_val = v;
	done[3] = 1;
	return NULL;
}

static void *t4(void *a)
{
	struct epoll_event ev[4];
	(void)a;
	started[4] = 1;
	/* epoll_wait is never restarted: a stop (a checkpoint's freeze too) makes it fail with EINTR
	 * (signal(7)); applications retry, as here. */
	do
		t4_n = epoll_wait(ep, ev, 4, -1);
	while (t4_n < 0 && errno == EINTR && ++t4_eintr);
	if (t4_n == 1)
		t4_data = ev[0].data.u64;
	done[4] = 1;
	return NULL;
}

static int wait_done(int i)
{
	int j;
	for (j = 0; j < 500 && !done[i]; j++)
		zdtm_sleep_ms(10);
	return done[i];
}

int main(int argc, char **argv)
{
	void *(*fns[5])(void *) = { NULL, t1, t2, t3, t4 };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0xc0ffee };
	uint8_t wbuf[A_LEN], *rbuf;
	pthread_t th[5];
	sigset_t term, old;
	int i, avail = -1, cap;
	size_t got = 0;
	uint64_t one = 5;

	zdtm_init(argc, argv);
	if (pipe(pa) || pipe(pb) || pipe(pc))
		zdtm_fail("pipe: %m");
	efd = eventfd(0, 0);
	ep = epoll_create1(0);
	if (efd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, pc[0], &ev))
		zdtm_fail("eventfd/epoll: %m");
	cap = fcntl(pb[0], F_GETPIPE_SZ);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	for (i = 1; i <= 4; i++)
		if (pthread_create(&th[i], NULL, fns[i], NULL))
			zdtm_fail("pthread_create failed");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (i = 1; i <= 4; i++)
		while (!started[i])
			zdtm_sleep_ms(1);
	for (i = 0; i < 500; i++) {
		ioctl(pb[0], FIONREAD, &avail);
		if (avail == cap)
			break;
		zdtm_sleep_ms(10);
	}
	if (avail != cap)
		zdtm_fail("pipe B holds %d bytes, capacity %d", avail, cap);
	zdtm_sleep_ms(50);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 1; i <= 4; i++)
		zdtm_check(!done[i], "T%d returned before it was released", i);
	ioctl(pb[0], FIONREAD, &avail);
	zdtm_check(avail == cap, "pipe B holds %d bytes, expected its capacity %d", avail, cap);

	zdtm_fill(wbuf, A_LEN, 111);
	zdtm_check(write(pa[1], wbuf, A_LEN) == A_LEN, "write to A: %m");
	if (zdtm_check(wait_done(1), "T1 did not return from read within 5 s"))
		zdtm_check(t1_got == A_LEN && !memcmp(t1_buf, wbuf, A_LEN), "T1 read %zd bytes, expected %d of pattern",
			   t1_got, A_LEN);

	rbuf = xmalloc(B_LEN);
	while (got < B_LEN) {
		struct pollfd pfd = { pb[0], POLLIN, 0 };
		ssize_t n;
		if (poll(&pfd, 1, 5000) != 1)
			break;
		n = read(pb[0], rbuf + got, B_LEN - got);
		if (n <= 0)
			break;
		got += n;
	}
	zdtm_check(got == B_LEN, "read %zu bytes from B, expected %d", got, B_LEN);
	zdtm_check(zdtm_verify(rbuf, got, 222) < 0, "B's data differs at offset %zd", zdtm_verify(rbuf, got, 222));
	if (zdtm_check(wait_done(2), "T2 did not finish writing within 5 s"))
		zdtm_check(t2_put == B_LEN, "T2 wrote %zd bytes, expected %d", t2_put, B_LEN);

	zdtm_check(write(efd, &one, 8) == 8, "eventfd write: %m");
	if (zdtm_check(wait_done(3), "T3 did not return from the eventfd read within 5 s"))
		zdtm_check(t3_val == 5, "T3 read %llu, expected 5", (unsigned long long)t3_val);

	zdtm_check(write(pc[1], "x", 1) == 1, "write to C: %m");
	if (zdtm_check(wait_done(4), "T4 did not return from epoll_wait within 5 s"))
		zdtm_check(t4_n == 1 && t4_data == 0xc0ffee, "T4: epoll_wait gave %d events, data %#llx", t4_n,
			   (unsigned long long)t4_data);
	if (t4_eintr)
		zdtm_log("T4's epoll_wait failed with EINTR %d times", t4_eintr);
	for (i = 1; i <= 4; i++)
		if (done[i])
			pthread_join(th[i], NULL);
	zdtm_finish();
}
