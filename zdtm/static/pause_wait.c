/*
 * pause_wait: a task blocked in pause().
 *
 * State: the test waits in pause() (checked against the SIGTERM flag in
 * a loop). A checkpoint catches it inside the syscall, which must be
 * restarted on restore.
 * Check after SIGTERM: pause() returned exactly once, with -1/EINTR, and
 * only after SIGTERM's handler ran (a return without SIGTERM means the
 * restore woke it up). The runner sends SIGTERM long after ready, so the
 * window between the flag check and pause() does not matter.
 */
#include "zdtm.h"
#include <errno.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int returns = 0, early = 0, r = 0, err = 0;

	zdtm_init(argc, argv);
	zdtm_ready();
	while (!zdtm_term_flag) {
		r = pause();
		err = errno;
		returns++;
		if (!zdtm_term_flag)
			early++;
	}
	zdtm_check(returns == 1, "pause() returned %d times", returns);
	zdtm_check(early == 0, "pause() returned %d times without SIGTERM", early);
	zdtm_check(r == -1 && err == EINTR, "pause() returned %d, errno %d", r, err);
	zdtm_finish();
}
