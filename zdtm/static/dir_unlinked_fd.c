/*
 * dir_unlinked_fd: a removed directory held by open fds.
 *
 * State: mkdir a directory (mode 0710) in the test's folder, open it twice (two open file
 * descriptions, O_RDONLY|O_DIRECTORY, the second also O_NONBLOCK), dup the first, rmdir it.
 * The working directory stays the test's folder.
 * A directory cannot be identified across a restore by its inode (a new one is made), so its
 * identity is what it shows and that all fds still share it.
 * Check after SIGTERM: each fd is a directory with no links, mode 0710 and our owner, on the
 * test folder's file system, all three the same inode (one directory, not one per fd), the
 * flags of each open are kept and the dup still shares its open file description;
 * /proc/self/fd/N names ".../gone (deleted)"; creating a file through the fd fails with
 * ENOENT; fdopendir lists nothing; the old path does not exist and no hidden name is left.
 */
#include "zdtm.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int count_entries(int dfd, const char *prefix)
{
	struct dirent *de;
	int n = 0, fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && !strncmp(de->d_name, prefix, strlen(prefix)))
			n++;
	if (d)
		closedir(d);
	return d ? n : -1;
}

int main(int argc, char **argv)
{
	char want[4096], lnk[4096], lp[64];
	struct stat before, st[3], pst;
	const char *dir;
	int fds[3], i, fd, fl;
	ssize_t n;

	zdtm_init(argc, argv);
	dir = zdtm_tmp_path("gone");
	if (mkdir(dir, 0710) || chmod(dir, 0710))
		zdtm_fail("mkdir %s: %m", dir);
	fds[0] = open(dir, O_RDONLY | O_DIRECTORY);
	fds[1] = open(dir, O_RDONLY | O_DIRECTORY | O_NONBLOCK);
	fds[2] = dup(fds[0]);
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || fstat(fds[0], &before) || stat(".", &pst) || rmdir(dir))
		zdtm_fail("setting up %s: %m", dir);
	fl = fcntl(fds[1], F_GETFL);

	zdtm_ready();
	zdtm_wait_for_term();

	snprintf(want, sizeof(want), "%s (deleted)", dir);
	for (i = 0; i < 3; i++) {
		zdtm_check(fstat(fds[i], &st[i]) == 0 && S_ISDIR(st[i].st_mode), "fd %d: not a directory (%m)", fds[i]);
		zdtm_check(st[i].st_nlink == 0, "fd %d: %lu links, expected none", fds[i], (unsigned long)st[i].st_nlink);
		zdtm_check((st[i].st_mode & 07777) == 0710 && st[i].st_uid == before.st_uid && st[i].st_gid == before.st_gid,
			   "fd %d: mode %o owner %u:%u", fds[i], st[i].st_mode & 07777, st[i].st_uid, st[i].st_gid);
		zdtm_check(st[i].st_dev == pst.st_dev, "fd %d: on another file system", fds[i]);
		zdtm_check(st[i].st_ino == st[0].st_ino, "fd %d is another directory than fd %d", fds[i], fds[0]);
		snprintf(lp, sizeof(lp), "/proc/self/fd/%d", fds[i]);
		n = readlink(lp, lnk, sizeof(lnk) - 1);
		lnk[n < 0 ? 0 : n] = 0;
		zdtm_check(!strcmp(lnk, want), "fd %d -> %s, expected %s", fds[i], lnk, want);
		errno = 0;
		fd = openat(fds[i], "new", O_WRONLY | O_CREAT, 0644);
		zdtm_check(fd < 0 && errno == ENOENT, "fd %d: creating a file in the removed directory gave %d (%m)", fds[i], fd);
		zdtm_check(count_entries(fds[i], "") == 0, "fd %d: the removed directory lists entries", fds[i]);
	}
	zdtm_check(fcntl(fds[1], F_GETFL) == fl, "fd %d: F_GETFL %#o, was %#o", fds[1], fcntl(fds[1], F_GETFL), fl);
	zdtm_check(!(fcntl(fds[0], F_GETFL) & O_NONBLOCK), "fd %d took the other open's O_NONBLOCK", fds[0]);
	/* The dup shares the open file description: a flag set on one shows on the other. */
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	zdtm_check(fcntl(fds[2], F_GETFL) & O_NONBLOCK, "fd %d no longer shares fd %d's open file", fds[2], fds[0]);
	zdtm_check(access(dir, F_OK) != 0, "%s exists (left behind by the restore)", dir);
	zdtm_check(count_entries(open(".", O_RDONLY | O_DIRECTORY), ".amber-ghost") == 0, "a hidden ghost name was left in the test's folder");
	zdtm_finish();
}
