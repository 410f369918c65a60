/*
 * file_flags: open-file status flags that live only in the open file description.
 *
 * State: five fds on files in the test's directory, each with other status flags:
 * O_DIRECT (only where the file system takes it: the fs type is logged, and a refusal
 * with EINVAL leaves that fd out), O_NOATIME, O_SYNC, O_DSYNC, and a plain O_RDWR fd
 * given O_APPEND|O_NONBLOCK afterwards through F_SETFL. Each fd also has an offset and
 * each file known contents.
 * Check after SIGTERM: F_GETFL of every fd equals the value read before the checkpoint
 * and has the flag it is about (and O_SYNC's fd is not merely O_DSYNC); the offsets are
 * the same; the fd is the same inode; the F_SETFL fd still appends (a write lands at the
 * end whatever the offset) and does not block; the O_DIRECT fd still does aligned
 * direct I/O (a 4096-byte pread into an aligned buffer gives the contents).
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define BLK 4096

struct held {
	const char *what;
	int want;		/* the flag this fd is about */
	int fd;
	int fl;
	off_t off;
	ino_t ino;
	const char *path;
};

static int open_one(struct held *h, const char *name, int flags, off_t off)
{
	struct stat st;
	char *buf = NULL;

	h->path = zdtm_tmp_path(name);
	if (posix_memalign((void **)&buf, BLK, 4 * BLK))
		zdtm_fail("posix_memalign");
	zdtm_fill(buf, 4 * BLK, h->want ^ 0x5a);
	zdtm_write_file(h->path, buf, 4 * BLK);
	free(buf);
	h->fd = open(h->path, flags);
	if (h->fd < 0)
		return -errno;
	if (lseek(h->fd, off, SEEK_SET) != off || fstat(h->fd, &st))
		zdtm_fail("%s: lseek/fstat: %m", h->what);
	h->off = off;
	h->ino = st.st_ino;
	return 0;
}

int main(int argc, char **argv)
{
	struct held h[5] = {
		{ .what = "O_DIRECT", .want = O_DIRECT },
		{ .what = "O_NOATIME", .want = O_NOATIME },
		{ .what = "O_SYNC", .want = O_SYNC },
		{ .what = "O_DSYNC", .want = O_DSYNC },
		{ .what = "F_SETFL O_APPEND|O_NONBLOCK", .want = O_APPEND | O_NONBLOCK },
	};
	int have_direct = 1, i, fl, r;
	struct statfs sfs;
	struct stat st;
	char *abuf;

	zdtm_init(argc, argv);
	r = open_one(&h[0], "direct", O_RDWR | O_DIRECT, BLK);
	if (statfs(h[0].path, &sfs))
		zdtm_fail("statfs %s: %m", h[0].path);
	if (r == -EINVAL) {
		zdtm_log("the file system (magic %#lx) refuses O_DIRECT: that fd is left out", (long)sfs.f_type);
		have_direct = 0;
	} else if (r) {
		zdtm_fail("open O_DIRECT: %s", strerror(-r));
	} else {
		zdtm_log("O_DIRECT on a file system of magic %#lx", (long)sfs.f_type);
	}
	if ((r = open_one(&h[1], "noatime", O_RDONLY | O_NOATIME, 100)))
		zdtm_fail("open O_NOATIME: %s", strerror(-r));
	if ((r = open_one(&h[2], "sync", O_WRONLY | O_SYNC, 200)))
		zdtm_fail("open O_SYNC: %s", strerror(-r));
	if ((r = open_one(&h[3], "dsync", O_RDWR | O_DSYNC, 300)))
		zdtm_fail("open O_DSYNC: %s", strerror(-r));
	if ((r = open_one(&h[4], "setfl", O_RDWR, 400)))
		zdtm_fail("open setfl: %s", strerror(-r));
	if (fcntl(h[4].fd, F_SETFL, O_APPEND | O_NONBLOCK))
		zdtm_fail("F_SETFL: %m");
	for (i = 0; i < 5; i++) {
		if (i == 0 && !have_direct)
			continue;
		h[i].fl = fcntl(h[i].fd, F_GETFL);
		if ((h[i].fl & h[i].want) != h[i].want)
			zdtm_fail("%s: F_GETFL %#o lacks the flag before the checkpoint", h[i].what, h[i].fl);
		zdtm_log("%s: fd %d flags %#o", h[i].what, h[i].fd, h[i].fl);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < 5; i++) {
		if (i == 0 && !have_direct)
			continue;
		fl = fcntl(h[i].fd, F_GETFL);
		zdtm_check(fl == h[i].fl, "%s: F_GETFL %#o, was %#o", h[i].what, fl, h[i].fl);
		zdtm_check((fl & h[i].want) == h[i].want, "%s: the flag is gone (%#o)", h[i].what, fl);
		zdtm_check(lseek(h[i].fd, 0, SEEK_CUR) == h[i].off, "%s: offset %lld, was %lld", h[i].what,
			   (long long)lseek(h[i].fd, 0, SEEK_CUR), (long long)h[i].off);
		zdtm_check(fstat(h[i].fd, &st) == 0 && st.st_ino == h[i].ino, "%s: another file", h[i].what);
	}
	zdtm_check((fcntl(h[2].fd, F_GETFL) & O_SYNC) == O_SYNC, "O_SYNC came back as O_DSYNC only");
	/* Appends: the write goes to the end (4 * BLK), not to the offset 400. */
	zdtm_check(write(h[4].fd, "tail", 4) == 4, "append write: %m");
	zdtm_check(fstat(h[4].fd, &st) == 0 && st.st_size == 4 * BLK + 4, "append: size %lld, expected %d",
		   (long long)st.st_size, 4 * BLK + 4);
	if (have_direct) {
		if (posix_memalign((void **)&abuf, BLK, BLK))
			zdtm_fail("posix_memalign");
		r = pread(h[0].fd, abuf, BLK, BLK);
		zdtm_check(r == BLK && zdtm_verify_at(abuf, BLK, O_DIRECT ^ 0x5a, BLK) < 0,
			   "direct pread: %d (%m)", r);
	}
	for (i = 0; i < 5; i++)
		if (h[i].path)
			unlink(h[i].path);
	zdtm_finish();
}
