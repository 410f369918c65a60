/*
 * dir_unlinked_cwd: a removed directory as the working directory.
 *
 * State: mkdir a directory (mode 0750) in the test's folder, chdir into it, rmdir it: the
 * task's cwd is an empty directory with no links, /proc/self/cwd reads ".../gone (deleted)".
 * A directory cannot be identified across a restore by its inode (a new one is made, as for
 * a removed file), so its identity is what it shows.
 * Check after SIGTERM: "." is a directory with no links (st_nlink 0), mode 0750 and our
 * owner, on the same file system as the test's folder; /proc/self/cwd names it with
 * " (deleted)"; getcwd() fails with ENOENT (as it does for a removed cwd); creating a file in
 * it fails with ENOENT; listing it gives only "." and ".."; the old path does not exist (no
 * directory was left behind), nor any other name the restore could have used.
 */
#include "zdtm.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int count_entries(const char *dir, const char *prefix)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && !strncmp(de->d_name, prefix, strlen(prefix)))
			n++;
	if (d)
		closedir(d);
	return d ? n : -1;
}

int main(int argc, char **argv)
{
	char want[4096], lnk[4096], parent[4096], cwdbuf[4096], *slash;
	struct stat before, st, pst;
	const char *dir;
	int fd;
	ssize_t n;

	zdtm_init(argc, argv);
	dir = zdtm_tmp_path("gone");
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	*slash = '\0';
	if (mkdir(dir, 0750) || chmod(dir, 0750) || chdir(dir) || rmdir(dir) || stat(".", &before) || stat(parent, &pst))
		zdtm_fail("setting up %s: %m", dir);
	if (before.st_nlink != 0)
		zdtm_fail("the removed directory has %lu links", (unsigned long)before.st_nlink);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(stat(".", &st) == 0 && S_ISDIR(st.st_mode), "stat(.): not a directory (%m)");
	zdtm_check(st.st_nlink == 0, "the working directory has %lu links, expected none", (unsigned long)st.st_nlink);
	zdtm_check((st.st_mode & 07777) == 0750 && st.st_uid == before.st_uid && st.st_gid == before.st_gid,
		   "mode %o owner %u:%u, was %o %u:%u", st.st_mode & 07777, st.st_uid, st.st_gid, before.st_mode & 07777,
		   before.st_uid, before.st_gid);
	zdtm_check(st.st_dev == pst.st_dev, "the directory is on another file system");
	n = readlink("/proc/self/cwd", lnk, sizeof(lnk) - 1);
	lnk[n < 0 ? 0 : n] = 0;
	snprintf(want, sizeof(want), "%s (deleted)", dir);
	zdtm_check(!strcmp(lnk, want), "cwd -> %s, expected %s", lnk, want);
	errno = 0;
	zdtm_check(getcwd(cwdbuf, sizeof(cwdbuf)) == NULL && errno == ENOENT, "getcwd did not fail with ENOENT (%m)");
	errno = 0;
	fd = open("new", O_WRONLY | O_CREAT, 0644);
	zdtm_check(fd < 0 && errno == ENOENT, "creating a file in the removed directory gave %d (%m)", fd);
	zdtm_check(count_entries(".", "") == 0, "the removed directory lists entries");
	zdtm_check(access(dir, F_OK) != 0, "%s exists (left behind by the restore)", dir);
	zdtm_check(count_entries(parent, ".amber-ghost") == 0, "a hidden ghost name was left in the test's folder");
	zdtm_finish();
}
