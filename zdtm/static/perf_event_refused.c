/*
 * perf_event_refused: a perf event counting this task's CPU clock. amber cannot carry perf
 * events, so the dump must be refused naming the fd, and the task left as it was.
 * Check after SIGTERM: the counter still counts (a busy loop makes it grow).
 */
#include "zdtm.h"
#include <linux/perf_event.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct perf_event_attr at;
	uint64_t c1 = 0, c2 = 0;
	volatile uint64_t spin = 0;
	int fd;

	zdtm_init(argc, argv);
	memset(&at, 0, sizeof(at));
	at.size = sizeof(at);
	at.type = PERF_TYPE_SOFTWARE;
	at.config = PERF_COUNT_SW_TASK_CLOCK;
	fd = syscall(SYS_perf_event_open, &at, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		zdtm_skip("perf_event_open: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(read(fd, &c1, 8) == 8, "read the counter: %m");
	while (spin < 20000000)
		spin++;
	zdtm_check(read(fd, &c2, 8) == 8 && c2 > c1, "the counter does not count: %llu then %llu", (unsigned long long)c1, (unsigned long long)c2);
	zdtm_finish();
}
