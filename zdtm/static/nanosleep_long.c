/*
 * nanosleep_long: a task asleep in a long relative nanosleep().
 *
 * State: the test sleeps in nanosleep() for 1000 s chunks; CLOCK_MONOTONIC
 * is recorded before. A checkpoint catches the task inside the syscall.
 * Check after SIGTERM: the only way out of the sleep was SIGTERM: no chunk
 * completed (that would take 1000 s), and nanosleep never returned EINTR
 * without the SIGTERM flag set (a spurious wakeup, e.g. an interrupted
 * sleep turned into EINTR by the restore, is a failure); the final call
 * returned -1/EINTR with a remaining time in (0, 1000 s] whose slept part
 * is no more than the monotonic time elapsed since the call; elapsed
 * monotonic time is positive and less than 1000 s.
 */
#include "zdtm.h"
#include <errno.h>
#include <time.h>

#define CHUNK 1000

int main(int argc, char **argv)
{
	struct timespec req = { CHUNK, 0 }, rem;
	uint64_t t0, call_start = 0, t1;
	int spurious = 0, completed = 0, r = 0, err = 0;
	int64_t rem_ns = 0, slept;

	zdtm_init(argc, argv);
	zdtm_ready();
	t0 = zdtm_now_ns();
	while (!zdtm_term_flag) {
		call_start = zdtm_now_ns();
		r = nanosleep(&req, &rem);
		err = errno;
		if (r == 0)
			completed++;
		else if (err == EINTR && !zdtm_term_flag)
			spurious++;
		else if (err != EINTR)
			break;
	}
	t1 = zdtm_now_ns();
	rem_ns = (int64_t)rem.tv_sec * 1000000000 + rem.tv_nsec;

	zdtm_check(completed == 0, "a %d s nanosleep completed %d times", CHUNK, completed);
	zdtm_check(spurious == 0, "nanosleep returned EINTR %d times without SIGTERM", spurious);
	zdtm_check(r == -1 && err == EINTR, "last nanosleep returned %d, errno %d", r, err);
	zdtm_check(rem_ns > 0 && rem_ns <= (int64_t)CHUNK * 1000000000, "remaining time %lld ns",
		   (long long)rem_ns);
	slept = (int64_t)CHUNK * 1000000000 - rem_ns;
	zdtm_check(slept <= (int64_t)(t1 - call_start) + 1000000,
		   "nanosleep says it slept %lld ns, the clock says %llu ns", (long long)slept,
		   (unsigned long long)(t1 - call_start));
	zdtm_check(t1 > t0 && t1 - t0 < (uint64_t)CHUNK * 1000000000, "elapsed %llu ns",
		   (unsigned long long)(t1 - t0));
	zdtm_log("slept %.3f s", (t1 - t0) / 1e9);
	zdtm_finish();
}
