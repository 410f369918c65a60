/*
 * timerfd_child_dup: one periodic timerfd open file shared by a child and the parent (a dup).
 *
 * State: the test arms a CLOCK_MONOTONIC timerfd T (TFD_NONBLOCK, 100 ms period, first
 * expiry after 100 ms), forks child C (which holds T) and dup2()s T to fd 50 and closes T:
 * the parent holds only fd 50. Nobody reads the timer.
 * Check after SIGTERM: C (told through a shared page) checks its fd and the parent's fd 50
 * are one file (kcmp), timerfd_gettime gives a 100 ms interval and a value within it, reads
 * the expirations: within 2 of (now - arm time) / 100 ms (periods during the checkpoints
 * count); the parent reads right after: at most 1 (C consumed them, shared counter) and
 * F_GETFL has O_NONBLOCK; the parent re-arms fd 50 as a one-shot 50 ms timer: C sees
 * interval 0 through its fd and reads exactly 1 expiration 150 ms later.
 */
#include "kid_util.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#define KCMP_FILE_ 0

int main(int argc, char **argv)
{
	volatile int *sh;
	struct itimerspec its = { { 0, 100 * 1000 * 1000 }, { 0, 100 * 1000 * 1000 } };
	uint64_t t0, v;
	int t;
	ssize_t r;
	pid_t c, me;

	zdtm_init(argc, argv);
	me = getpid();
	sh = kid_shared_page();
	t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (t < 0)
		zdtm_fail("timerfd_create: %m");
	t0 = zdtm_now_ns();
	if (timerfd_settime(t, 0, &its, NULL))
		zdtm_fail("timerfd_settime: %m");
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int before;
		struct itimerspec cur;
		uint64_t want;
		while (!kid_wait_word(&sh[0], 1, 1000000))
			;
		before = zdtm_failures();
		zdtm_check(syscall(SYS_kcmp, getpid(), me, KCMP_FILE_, t, 50) == 0, "C: its fd %d and the parent's 50 differ", t);
		memset(&cur, 0, sizeof(cur));
		zdtm_check(timerfd_gettime(t, &cur) == 0 && cur.it_interval.tv_sec == 0 &&
				   cur.it_interval.tv_nsec == 100 * 1000 * 1000 && cur.it_value.tv_sec == 0 &&
				   cur.it_value.tv_nsec <= 100 * 1000 * 1000 && (cur.it_value.tv_nsec > 0),
			   "C: interval %ld.%09ld value %ld.%09ld", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec,
			   (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
		want = (zdtm_now_ns() - t0) / 100000000ull;
		v = 0;
		r = read(t, &v, 8);
		zdtm_check(r == 8 && v + 2 >= want && v <= want + 2, "C: %llu expirations, expected about %llu",
			   (unsigned long long)v, (unsigned long long)want);
		kid_set_word(&sh[1], 1);
		kid_wait_word(&sh[2], 1, 5000);
		memset(&cur, 0, sizeof(cur));
		zdtm_check(timerfd_gettime(t, &cur) == 0 && cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 0,
			   "C: the parent's one-shot re-arm not seen (interval %ld.%09ld)", (long)cur.it_interval.tv_sec,
			   cur.it_interval.tv_nsec);
		zdtm_sleep_ms(150);
		v = 0;
		zdtm_check(read(t, &v, 8) == 8 && v == 1, "C: one-shot gave %llu expirations", (unsigned long long)v);
		_exit(zdtm_failures() != before);
	}
	if (dup2(t, 50) != 50)
		zdtm_fail("dup2: %m");
	close(t);
	zdtm_log("timerfd %d in child %d, 50 in the parent", t, (int)c);

	zdtm_ready();
	zdtm_wait_for_term();

	kid_set_word(&sh[0], 1);
	zdtm_check(kid_wait_word(&sh[1], 1, 5000), "C did not read the timer");
	v = 0;
	r = read(50, &v, 8);
	zdtm_check((r < 0 && errno == EAGAIN) || (r == 8 && v <= 1), "parent: read gave %zd, %llu expirations after C read them",
		   r, (unsigned long long)v);
	zdtm_check(fcntl(50, F_GETFL) & O_NONBLOCK, "parent: O_NONBLOCK lost");
	its.it_interval.tv_nsec = 0;
	its.it_value.tv_nsec = 50 * 1000 * 1000;
	zdtm_check(timerfd_settime(50, 0, &its, NULL) == 0, "parent: timerfd_settime: %m");
	kid_set_word(&sh[2], 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
