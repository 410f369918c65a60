/*
 * exe_deleted_refused: a task whose program file was deleted after it started.
 *
 * amber sets the restored task's exe link by path; a deleted program cannot be named again,
 * so the dump must be refused (naming the executable) and leave the task running.
 * State: the test copies its own program next to its outfile, executes the copy (same pid,
 * argv[0] kept, --copy=1 added), and the copy deletes itself before it starts: /proc/self/exe
 * reads ".../exe_deleted_refused.copy (deleted)" and its code is mapped from the deleted file.
 * Check after SIGTERM: /proc/self/exe still names the deleted copy, the copy's file is gone,
 * and the code still runs from it (the mapping of main() is that deleted file).
 */
#include "zdtm.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

static void copy_self(const char *to)
{
	struct stat st;
	int in = open("/proc/self/exe", O_RDONLY), out;
	off_t off = 0;

	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (in < 0 || out < 0 || fstat(in, &st))
		exit(2);
	while (off < st.st_size)
		if (sendfile(out, in, &off, st.st_size - off) <= 0)
			exit(2);
	close(in);
	close(out);
}

int main(int argc, char **argv)
{
	char copy[4096], want[4200], lnk[4200], **args;
	struct zdtm_map m;
	const char *outfile = NULL;
	ssize_t n;
	int i;

	for (i = 1; i < argc; i++)
		if (!strncmp(argv[i], "--outfile=", 10))
			outfile = argv[i] + 10;
	if (!outfile)
		zdtm_init(argc, argv);	/* prints the usage */
	snprintf(copy, sizeof(copy), "%s", outfile);
	{
		char *slash = strrchr(copy, '/');
		snprintf(slash ? slash + 1 : copy, sizeof(copy) - (slash ? slash + 1 - copy : 0), "exe_deleted_refused.copy");
	}
	if (copy[0] != '/') {
		char cwd[2048], rel[2000];
		snprintf(rel, sizeof(rel), "%.1999s", copy);
		if (!getcwd(cwd, sizeof(cwd)))
			exit(2);
		snprintf(copy, sizeof(copy), "%s/%s", cwd, rel);
	}
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--copy=1"))
			break;
	if (i == argc) {
		copy_self(copy);
		args = calloc(argc + 2, sizeof(*args));
		memcpy(args, argv, argc * sizeof(*args));
		args[argc] = "--copy=1";
		execv(copy, args);
		exit(2);
	}
	if (unlink(copy))
		exit(2);

	zdtm_init(argc, argv);
	snprintf(want, sizeof(want), "%s (deleted)", copy);
	n = readlink("/proc/self/exe", lnk, sizeof(lnk) - 1);
	lnk[n < 0 ? 0 : n] = 0;
	if (strcmp(lnk, want))
		zdtm_fail("exe -> %s, expected %s", lnk, want);

	zdtm_ready();
	zdtm_wait_for_term();

	n = readlink("/proc/self/exe", lnk, sizeof(lnk) - 1);
	lnk[n < 0 ? 0 : n] = 0;
	zdtm_check(!strcmp(lnk, want), "exe -> %s, expected %s", lnk, want);
	zdtm_check(access(copy, F_OK) != 0, "%s exists again", copy);
	zdtm_check(zdtm_find_map((void *)main, &m) == 0 && !strcmp(m.path, want), "main() is mapped from '%s'", m.path);
	zdtm_finish();
}
