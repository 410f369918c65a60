/*
 * exe_link: the executable link and the auxiliary vector.
 *
 * State: /proc/self/exe (recorded as realpath(argv[0]) computed at start,
 * before any chdir), the AT_EXECFN string, and the whole /proc/self/auxv.
 * Check after SIGTERM: readlink(/proc/self/exe) equals realpath(argv[0]);
 * stat(/proc/self/exe) is the same file (device, inode) as the binary;
 * /proc/self/auxv is byte for byte what it was; the AT_EXECFN string still
 * reads as before.
 */
#include "zdtm.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char real[PATH_MAX], link[PATH_MAX], execfn[PATH_MAX];
	static char auxv_before[4096], auxv_after[4096];
	size_t nb, na;
	struct stat bin, exe;
	ssize_t n;

	if (!realpath(argv[0], real)) {
		zdtm_init(argc, argv);
		zdtm_fail("realpath(%s): %m", argv[0]);
	}
	zdtm_init(argc, argv);
	if (stat(real, &bin))
		zdtm_fail("stat %s: %m", real);
	snprintf(execfn, sizeof(execfn), "%s", (char *)getauxval(AT_EXECFN));
	nb = zdtm_read_file("/proc/self/auxv", auxv_before, sizeof(auxv_before));
	zdtm_log("poke %p", (char *)getauxval(AT_EXECFN) + 1);

	zdtm_ready();
	zdtm_wait_for_term();

	n = readlink("/proc/self/exe", link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	zdtm_check(!strcmp(link, real), "/proc/self/exe -> '%s', expected '%s'", link, real);
	zdtm_check(stat("/proc/self/exe", &exe) == 0 && exe.st_dev == bin.st_dev &&
		   exe.st_ino == bin.st_ino, "/proc/self/exe is another file");
	na = zdtm_read_file("/proc/self/auxv", auxv_after, sizeof(auxv_after));
	zdtm_check(na == nb && !memcmp(auxv_after, auxv_before, nb), "/proc/self/auxv changed");
	zdtm_check(!strcmp((char *)getauxval(AT_EXECFN), execfn), "AT_EXECFN reads '%s', expected '%s'",
		   (char *)getauxval(AT_EXECFN), execfn);
	zdtm_finish();
}
