/*
 * file_unlinked_link_remap: an open file whose name was unlinked while another hard link to
 * it remains, dumped with --link-remap.
 *
 * State: a 2 MiB file (pattern; above the default --ghost-limit of 1 MiB, so a ghost copy
 * would be refused) created as "data", hard-linked as "other", opened O_RDWR through "data"
 * at offset 12345, then "data" unlinked: the fd reads ".../data (deleted)" and the inode has
 * one link left. With --link-remap amber keeps the file by a hard link made at dump instead
 * of copying it.
 * Check after SIGTERM: the fd is the very same inode as before and as "other" (st_dev,
 * st_ino), with one link; size, contents and offset as before; the fd still names
 * ".../data (deleted)" and "data" does not exist; no "link_remap.*" name is left in the
 * directory; a write through the fd is read back through "other" (one file, not a copy).
 */
#include "zdtm.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEN (2 << 20)
#define OFF 12345

int main(int argc, char **argv)
{
	char lp[64], lnk[4096], want[4096], dirpath[4096], *slash;
	const char *data, *other;
	struct stat before, st, ost;
	struct dirent *de;
	uint8_t *buf;
	int fd, o, left = 0;
	ssize_t n;
	DIR *d;

	zdtm_init(argc, argv);
	data = zdtm_tmp_path("data");
	other = zdtm_tmp_path("other");
	buf = xmalloc(LEN);
	zdtm_fill(buf, LEN, 42);
	zdtm_write_file(data, buf, LEN);
	unlink(other);
	if (link(data, other))
		zdtm_fail("link: %m");
	fd = open(data, O_RDWR);
	if (fd < 0 || lseek(fd, OFF, SEEK_SET) != OFF || unlink(data) || fstat(fd, &before))
		zdtm_fail("setting up %s: %m", data);
	if (before.st_nlink != 1)
		zdtm_fail("%lu links after the unlink, expected 1", (unsigned long)before.st_nlink);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstat(fd, &st) == 0 && st.st_dev == before.st_dev && st.st_ino == before.st_ino,
		   "the fd is another inode than before (a copy?)");
	zdtm_check(stat(other, &ost) == 0 && ost.st_dev == st.st_dev && ost.st_ino == st.st_ino,
		   "the fd and \"other\" are not one file");
	zdtm_check(st.st_nlink == 1, "%lu links, expected 1 (a link_remap name left?)", (unsigned long)st.st_nlink);
	zdtm_check(st.st_size == LEN, "size %lld", (long long)st.st_size);
	zdtm_check(lseek(fd, 0, SEEK_CUR) == OFF, "offset %lld", (long long)lseek(fd, 0, SEEK_CUR));
	memset(buf, 0, LEN);
	n = pread(fd, buf, LEN, 0);
	zdtm_check(n == LEN && zdtm_verify(buf, LEN, 42) < 0, "contents differ (read %zd)", n);
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", fd);
	n = readlink(lp, lnk, sizeof(lnk) - 1);
	lnk[n < 0 ? 0 : n] = 0;
	snprintf(want, sizeof(want), "%s (deleted)", data);
	zdtm_check(!strcmp(lnk, want), "fd -> %s, expected %s", lnk, want);
	zdtm_check(access(data, F_OK) != 0, "%s exists again", data);
	snprintf(dirpath, sizeof(dirpath), "%s", data);
	slash = strrchr(dirpath, '/');
	if (slash)
		*slash = '\0';
	d = opendir(dirpath);
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "link_remap.", 11)) {
			zdtm_log("left behind: %s", de->d_name);
			left++;
		}
	zdtm_check(d && !left, "%d link_remap names left in %s", left, dirpath);
	zdtm_check(pwrite(fd, "TOKEN", 5, 100) == 5, "pwrite: %m");
	o = open(other, O_RDONLY);
	zdtm_check(o >= 0 && pread(o, want, 5, 100) == 5 && !memcmp(want, "TOKEN", 5),
		   "a write through the fd is not seen through \"other\"");
	unlink(other);
	zdtm_finish();
}
