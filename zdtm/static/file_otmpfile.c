/*
 * file_otmpfile: files made with O_TMPFILE (never had a name): a linkable one and one made
 * with O_EXCL (never linkable).
 *
 * State: in a directory of its own, L = open(dir, O_TMPFILE|O_RDWR, 0640) with 3 pages of
 * pattern and offset 5000, X = open(dir, O_TMPFILE|O_EXCL|O_WRONLY, 0600) with 100 bytes.
 * Check after SIGTERM: both are regular files with nlink 0, modes 0640/0600, sizes, L's
 * offset, F_GETFL access modes (O_RDWR / O_WRONLY), L's data; the /proc links name the
 * directory with "/#INO (deleted)" (a temporary file, any inode); nothing new appeared in
 * the directory. L still can be given a name: linkat(AT_EMPTY_PATH via /proc/self/fd)
 * works and the name shows L's data; X cannot (linkat fails with ENOENT).
 */
#include "zdtm.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LSZ (3 * 4096)

static int count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	char dir[512], named[600], lp[64], link[700], want[700];
	const char *name;
	uint8_t buf[LSZ];
	struct stat st;
	int l, x, n0, n;
	ssize_t k;

	zdtm_init(argc, argv);
	/* A directory of its own: the runner writes next to the outfile. */
	snprintf(dir, sizeof(dir), "%s", zdtm_tmp_path("dir"));
	if (mkdir(dir, 0755) && errno != EEXIST)
		zdtm_fail("mkdir %s: %m", dir);
	snprintf(named, sizeof(named), "%s/named", dir);
	name = named;
	l = open(dir, O_TMPFILE | O_RDWR, 0640);
	if (l < 0 && (errno == EOPNOTSUPP || errno == EISDIR))
		zdtm_skip("O_TMPFILE not supported in %s", dir);
	x = open(dir, O_TMPFILE | O_EXCL | O_WRONLY, 0600);
	if (l < 0 || x < 0)
		zdtm_fail("O_TMPFILE in %s: %m", dir);
	zdtm_fill(buf, LSZ, 515);
	if (write(l, buf, LSZ) != LSZ || lseek(l, 5000, SEEK_SET) != 5000 || write(x, buf, 100) != 100)
		zdtm_fail("write: %m");
	fchmod(l, 0640);
	fchmod(x, 0600);
	unlink(name);
	n0 = count_dir(dir);
	zdtm_log("dir %s, fds %d %d", dir, l, x);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstat(l, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0 && (st.st_mode & 07777) == 0640 && st.st_size == LSZ,
		   "L: mode %o nlink %lu size %lld", st.st_mode, (unsigned long)st.st_nlink, (long long)st.st_size);
	zdtm_check(fstat(x, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0 && (st.st_mode & 07777) == 0600 && st.st_size == 100,
		   "X: mode %o nlink %lu size %lld", st.st_mode, (unsigned long)st.st_nlink, (long long)st.st_size);
	zdtm_check(lseek(l, 0, SEEK_CUR) == 5000, "L: offset %lld", (long long)lseek(l, 0, SEEK_CUR));
	zdtm_check((fcntl(l, F_GETFL) & O_ACCMODE) == O_RDWR && (fcntl(x, F_GETFL) & O_ACCMODE) == O_WRONLY, "access modes %#x %#x",
		   fcntl(l, F_GETFL), fcntl(x, F_GETFL));
	memset(buf, 0, LSZ);
	zdtm_check(pread(l, buf, LSZ, 0) == LSZ && zdtm_verify(buf, LSZ, 515) < 0, "L's data differs");
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", l);
	k = readlink(lp, link, sizeof(link) - 1);
	link[k > 0 ? k : 0] = 0;
	fstat(l, &st);
	snprintf(want, sizeof(want), "%s/#%lu (deleted)", dir, (unsigned long)st.st_ino);
	zdtm_check(!strcmp(link, want), "L's link '%s', expected '%s'", link, want);
	n = count_dir(dir);
	zdtm_check(n == n0, "the directory has %d entries, %d before", n, n0);
	zdtm_check(linkat(AT_FDCWD, lp, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0, "linkat of L: %m");
	zdtm_check(stat(name, &st) == 0 && st.st_size == LSZ && st.st_nlink == 1, "the new name is not L");
	{
		int g = open(name, O_RDONLY);
		memset(buf, 0, LSZ);
		zdtm_check(g >= 0 && read(g, buf, LSZ) == LSZ && zdtm_verify(buf, LSZ, 515) < 0, "data under the new name differs");
		if (g >= 0)
			close(g);
	}
	unlink(name);
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", x);
	errno = 0;
	zdtm_check(linkat(AT_FDCWD, lp, AT_FDCWD, name, AT_SYMLINK_FOLLOW) < 0 && errno == ENOENT,
		   "linkat of the O_EXCL one was not refused: %m");
	unlink(name);
	close(l);
	close(x);
	rmdir(dir);
	zdtm_finish();
}
