/*
 * fd_high_numbers: file descriptors at high numbers.
 *
 * State: one open file description of a temp file placed at fds 100, 500
 * (F_DUPFD from 500) and 1000 (dup2), its original fd closed, offset 33;
 * a second file open at fd 999 with offset 7. The set of open fds is
 * recorded after zdtm_ready() (the ready pipe is closed by then).
 * Check after SIGTERM: /proc/self/fd lists exactly the recorded fds;
 * 100, 500, 1000 are the first file at offset 33 and still one
 * description (moving 1000 moves 100); 999 is the second file at 7.
 */
#include "zdtm.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void list_fds(char *out, size_t size)
{
	DIR *d = opendir("/proc/self/fd");
	int own = dirfd(d), i, n = 0, fds[2048];
	struct dirent *de;
	size_t used = 0;

	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && atoi(de->d_name) != own && n < 2048)
			fds[n++] = atoi(de->d_name);
	closedir(d);
	for (int a = 0; a < n; a++)	/* sort */
		for (int b = a + 1; b < n; b++)
			if (fds[b] < fds[a]) { i = fds[a]; fds[a] = fds[b]; fds[b] = i; }
	out[0] = '\0';
	for (i = 0; i < n && used < size; i++)
		used += snprintf(out + used, size - used, "%d ", fds[i]);
}

int main(int argc, char **argv)
{
	char before[4096], after[4096];
	struct stat a, b, st;
	int fd, fd2, i;
	const int first[3] = { 100, 500, 1000 };

	zdtm_init(argc, argv);
	zdtm_write_file(zdtm_tmp_path("a"), "0123456789012345678901234567890123456789", 40);
	zdtm_write_file(zdtm_tmp_path("b"), "abcdefghij", 10);
	fd = open(zdtm_tmp_path("a"), O_RDWR);
	fd2 = open(zdtm_tmp_path("b"), O_RDONLY);
	if (fd < 0 || fd2 < 0 || dup2(fd, 100) != 100 || fcntl(fd, F_DUPFD, 500) != 500 ||
	    dup2(fd, 1000) != 1000 || dup2(fd2, 999) != 999)
		zdtm_fail("set up fds: %m");
	close(fd);
	close(fd2);
	lseek(100, 33, SEEK_SET);
	lseek(999, 7, SEEK_SET);
	fstat(100, &a);
	fstat(999, &b);

	zdtm_ready();
	list_fds(before, sizeof(before));
	zdtm_wait_for_term();

	list_fds(after, sizeof(after));
	zdtm_check(!strcmp(before, after), "open fds '%s', expected '%s'", after, before);
	for (i = 0; i < 3; i++) {
		zdtm_check(fstat(first[i], &st) == 0 && st.st_ino == a.st_ino && st.st_dev == a.st_dev,
			   "fd %d is not the first file", first[i]);
		zdtm_check(lseek(first[i], 0, SEEK_CUR) == 33, "fd %d offset %lld, expected 33",
			   first[i], (long long)lseek(first[i], 0, SEEK_CUR));
	}
	zdtm_check(fstat(999, &st) == 0 && st.st_ino == b.st_ino, "fd 999 is not the second file");
	zdtm_check(lseek(999, 0, SEEK_CUR) == 7, "fd 999 offset %lld, expected 7",
		   (long long)lseek(999, 0, SEEK_CUR));
	lseek(1000, 5, SEEK_CUR);
	zdtm_check(lseek(100, 0, SEEK_CUR) == 38, "fds 100 and 1000 no longer share an offset");
	unlink(zdtm_tmp_path("a"));
	unlink(zdtm_tmp_path("b"));
	zdtm_finish();
}
