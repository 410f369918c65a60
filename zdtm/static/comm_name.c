/*
 * comm_name: the task's command name.
 *
 * State: prctl(PR_SET_NAME, "amber-comm-test") (15 characters, the
 * maximum).
 * Check after SIGTERM: PR_GET_NAME, /proc/self/comm and the name in
 * /proc/self/stat all read "amber-comm-test".
 */
#include "zdtm.h"
#include <string.h>
#include <sys/prctl.h>

#define NAME "amber-comm-test"

int main(int argc, char **argv)
{
	char got[32] = "", comm[64], stat[64];

	zdtm_init(argc, argv);
	if (prctl(PR_SET_NAME, NAME))
		zdtm_fail("PR_SET_NAME: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	prctl(PR_GET_NAME, got);
	zdtm_check(!strcmp(got, NAME), "PR_GET_NAME '%s', expected '%s'", got, NAME);
	zdtm_read_file("/proc/self/comm", comm, sizeof(comm));
	zdtm_check(!strcmp(comm, NAME "\n"), "/proc/self/comm '%s'", comm);
	zdtm_stat_field(2, stat, sizeof(stat));
	zdtm_check(!strcmp(stat, NAME), "/proc/self/stat name '%s'", stat);
	zdtm_finish();
}
