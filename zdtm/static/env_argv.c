/*
 * env_argv: the argument and environment strings and their bounds.
 *
 * State: the test re-executes itself once with extra arguments (one with
 * spaces, one non-ASCII, one empty) and an extra environment variable
 * ZDTM_ENV_ARGV, so both were set before the program started; a second
 * variable is added with setenv() (it lives in the heap).
 * Check after SIGTERM: /proc/self/cmdline and /proc/self/environ are byte
 * for byte what they were; argv[] strings read as passed; getenv() of both
 * variables; arg_start/arg_end/env_start/env_end (/proc/self/stat fields
 * 48-51) are unchanged.
 */
#include "zdtm.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARK "ZDTM_ENV_ARGV"
#define MARK_VAL "value with spaces = and \xc3\xa9"
static const char *extra[] = { "--zdtm-extra=two words", "--zdtm-utf8=\xe2\x9c\x93", "" };

int main(int argc, char **argv)
{
	static char cmd_before[8192], cmd_after[8192], env_before[65536], env_after[65536];
	unsigned long long bounds[4];
	size_t cb, ca, eb, ea;
	int i;

	if (!getenv(MARK)) {
		char **nargv = calloc(argc + 4, sizeof(char *));
		for (i = 0; i < argc; i++)
			nargv[i] = argv[i];
		for (i = 0; i < 3; i++)
			nargv[argc + i] = (char *)extra[i];
		setenv(MARK, MARK_VAL, 1);
		execv("/proc/self/exe", nargv);
		zdtm_init(argc, argv);
		zdtm_fail("re-exec: %m");
	}
	zdtm_init(argc, argv);
	setenv("ZDTM_HEAP_VAR", "set after start", 1);
	if (argc < 4 || strcmp(argv[argc - 1], "") || strcmp(argv[argc - 3], extra[0]))
		zdtm_fail("the re-exec did not pass the extra arguments");
	cb = zdtm_read_file("/proc/self/cmdline", cmd_before, sizeof(cmd_before));
	eb = zdtm_read_file("/proc/self/environ", env_before, sizeof(env_before));
	for (i = 0; i < 4; i++)
		bounds[i] = zdtm_stat_field_ull(48 + i);
	zdtm_log("poke %p", argv[argc - 3] + 3);

	zdtm_ready();
	zdtm_wait_for_term();

	ca = zdtm_read_file("/proc/self/cmdline", cmd_after, sizeof(cmd_after));
	ea = zdtm_read_file("/proc/self/environ", env_after, sizeof(env_after));
	zdtm_check(ca == cb && !memcmp(cmd_after, cmd_before, cb), "/proc/self/cmdline changed");
	zdtm_check(ea == eb && !memcmp(env_after, env_before, eb), "/proc/self/environ changed");
	for (i = 0; i < 3; i++)
		zdtm_check(!strcmp(argv[argc - 3 + i], extra[i]), "argv[%d] = '%s', expected '%s'",
			   argc - 3 + i, argv[argc - 3 + i], extra[i]);
	zdtm_check(getenv(MARK) && !strcmp(getenv(MARK), MARK_VAL), "getenv(" MARK ") = '%s'",
		   getenv(MARK) ? getenv(MARK) : "(null)");
	zdtm_check(getenv("ZDTM_HEAP_VAR") && !strcmp(getenv("ZDTM_HEAP_VAR"), "set after start"),
		   "getenv(ZDTM_HEAP_VAR) is wrong");
	for (i = 0; i < 4; i++)
		zdtm_check(zdtm_stat_field_ull(48 + i) == bounds[i], "stat field %d: %llu, expected %llu",
			   48 + i, zdtm_stat_field_ull(48 + i), bounds[i]);
	zdtm_finish();
}
