/*
 * file_tmpfile: an O_TMPFILE file held open, never linked.
 *
 * State: a file made with open(DIR, O_TMPFILE|O_RDWR, 0640) in the test's folder, 12 KiB of
 * pattern written, its offset at 5000; a second open file description of it (reopened through
 * /proc/self/fd, O_RDONLY) at offset 100. /proc/self/fd/N reads "DIR/#INO (deleted)".
 * Check after SIGTERM: F_GETFL of both as before (the first still shows O_TMPFILE, the second
 * does not); both the same inode, with no link, mode 0640, size 12 KiB, the contents and
 * both offsets as before; the fds name "DIR/#INO (deleted)" with INO their inode number;
 * and the file can still be linked into the folder (linkat of /proc/self/fd/N with
 * AT_SYMLINK_FOLLOW works only for an O_TMPFILE file), where it reads the same.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEN (12 * 1024)

int main(int argc, char **argv)
{
	char dir[4096], lp[64], lnk[4200], want[4200], *slash;
	struct stat st, st2, lst;
	int fd, fd2, fl, fl2, i;
	const char *linked;
	uint8_t *buf;
	ssize_t n;

	zdtm_init(argc, argv);
	snprintf(dir, sizeof(dir), "%s", zdtm_tmp_path("x"));
	slash = strrchr(dir, '/');
	*slash = '\0';
	linked = zdtm_tmp_path("linked");
	unlink(linked);
	fd = open(dir, O_TMPFILE | O_RDWR, 0640);
	if (fd < 0)
		zdtm_fail("open(%s, O_TMPFILE): %m", dir);
	fchmod(fd, 0640);
	buf = xmalloc(LEN);
	zdtm_fill(buf, LEN, 77);
	if (write(fd, buf, LEN) != LEN || lseek(fd, 5000, SEEK_SET) != 5000)
		zdtm_fail("write: %m");
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", fd);
	fd2 = open(lp, O_RDONLY);
	if (fd2 < 0 || lseek(fd2, 100, SEEK_SET) != 100)
		zdtm_fail("reopen: %m");
	fl = fcntl(fd, F_GETFL);
	fl2 = fcntl(fd2, F_GETFL);
	if ((fl & O_TMPFILE) != O_TMPFILE || (fl2 & O_TMPFILE) == O_TMPFILE)
		zdtm_fail("F_GETFL %#o %#o before the checkpoint", fl, fl2);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fcntl(fd, F_GETFL) == fl, "fd %d: F_GETFL %#o, was %#o", fd, fcntl(fd, F_GETFL), fl);
	zdtm_check(fcntl(fd2, F_GETFL) == fl2, "fd %d: F_GETFL %#o, was %#o", fd2, fcntl(fd2, F_GETFL), fl2);
	zdtm_check(fstat(fd, &st) == 0 && fstat(fd2, &st2) == 0 && st.st_ino == st2.st_ino && st.st_dev == st2.st_dev,
		   "the two fds are not one file");
	zdtm_check(st.st_nlink == 0 && (st.st_mode & 07777) == 0640 && st.st_size == LEN,
		   "nlink %lu mode %o size %lld", (unsigned long)st.st_nlink, st.st_mode & 07777, (long long)st.st_size);
	zdtm_check(lseek(fd, 0, SEEK_CUR) == 5000, "fd %d offset %lld", fd, (long long)lseek(fd, 0, SEEK_CUR));
	zdtm_check(lseek(fd2, 0, SEEK_CUR) == 100, "fd %d offset %lld", fd2, (long long)lseek(fd2, 0, SEEK_CUR));
	memset(buf, 0, LEN);
	n = pread(fd2, buf, LEN, 0);
	zdtm_check(n == LEN && zdtm_verify(buf, LEN, 77) < 0, "contents differ (read %zd)", n);
	snprintf(want, sizeof(want), "%s/#%llu (deleted)", dir, (unsigned long long)st.st_ino);
	for (i = 0; i < 2; i++) {
		snprintf(lp, sizeof(lp), "/proc/self/fd/%d", i ? fd2 : fd);
		n = readlink(lp, lnk, sizeof(lnk) - 1);
		lnk[n < 0 ? 0 : n] = 0;
		zdtm_check(!strcmp(lnk, want), "fd %d -> %s, expected %s", i ? fd2 : fd, lnk, want);
	}
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", fd);
	zdtm_check(linkat(AT_FDCWD, lp, AT_FDCWD, linked, AT_SYMLINK_FOLLOW) == 0, "the O_TMPFILE file cannot be linked: %m");
	zdtm_check(stat(linked, &lst) == 0 && lst.st_ino == st.st_ino, "the linked name is another file");
	unlink(linked);
	zdtm_finish();
}
