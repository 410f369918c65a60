/*
 * cwd_umask: working directory and file creation mask.
 *
 * State: cwd is a fresh temp directory (by path and inode), umask 027.
 * Check after SIGTERM: getcwd() and /proc/self/cwd name the directory,
 * "." has its device and inode; /proc/self/status Umask reads 0027 and a
 * file created with mode 0666 gets 0640. (Both differ from what the
 * restorer has: its cwd and umask 022. A root other than "/" is tree_chroot.)
 */
#include "zdtm.h"
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char cwd[PATH_MAX], link[PATH_MAX], um[32];
	const char *dir;
	struct stat st_before, st;
	ssize_t n;
	int fd;

	zdtm_init(argc, argv);
	dir = zdtm_tmp_path("cwd");
	if (mkdir(dir, 0755) && stat(dir, &st))
		zdtm_fail("mkdir %s: %m", dir);
	if (chdir(dir) || stat(".", &st_before))
		zdtm_fail("chdir %s: %m", dir);
	umask(027);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, dir), "getcwd '%s', expected '%s'", cwd, dir);
	n = readlink("/proc/self/cwd", link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	zdtm_check(!strcmp(link, dir), "/proc/self/cwd -> '%s', expected '%s'", link, dir);
	zdtm_check(stat(".", &st) == 0 && st.st_ino == st_before.st_ino && st.st_dev == st_before.st_dev,
		   "\".\" is another directory (inode %lu, expected %lu)", (unsigned long)st.st_ino,
		   (unsigned long)st_before.st_ino);
	zdtm_status_field("Umask", um, sizeof(um));
	zdtm_check(!strcmp(um, "0027"), "Umask %s, expected 0027", um);
	fd = open("created", O_CREAT | O_WRONLY | O_TRUNC, 0666);
	zdtm_check(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0640,
		   "a file created with 0666 got %o, expected 640", st.st_mode & 0777);
	unlink("created");
	if (chdir("/") == 0)
		rmdir(dir);
	zdtm_finish();
}
