/*
 * fanotify_marks: a FAN_CLASS_NOTIF fanotify group (FAN_NONBLOCK|FAN_CLOEXEC) with an inode
 * mark, an inode ignore mark and a mount mark; the restore must bring every mark back and must
 * itself cause no event.
 *
 * State: a tmpfs mounted on M (in the work dir, removed at exit); a file f in the work dir
 * marked FAN_MODIFY|FAN_CLOSE_WRITE; the mount M marked FAN_OPEN|FAN_CLOSE_WRITE; M/g marked
 * with the ignored mask FAN_OPEN (FAN_MARK_IGNORED_SURV_MODIFY); M/h kept open read-write as
 * fd 50, above the group's fd (the restore opens it again, after the group if in fd order).
 * The set-up's events are read before the checkpoint.
 * Check after SIGTERM:
 *   - nothing queued (FIONREAD 0, read gives EAGAIN): the restore's open of M/h was not
 *     reported; fd flags O_NONBLOCK and FD_CLOEXEC;
 *   - fdinfo shows the group (flags:3 event-flags:8000) and exactly three marks with the
 *     values worked out by hand: f (ino from stat, mask a), g (mflags 40, ignored_mask 20) and
 *     the mount (mnt_id from mountinfo, mask 28);
 *   - a write to f is reported (FAN_MODIFY and FAN_CLOSE_WRITE on f's inode, by this pid);
 *     opening a new file M/n gives FAN_OPEN on it (the mount mark); opening M/g gives nothing;
 *     closing h after a write gives FAN_CLOSE_WRITE on it.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char mnt[PATH_MAX];
static int fan;

#define MAXEV 64
static struct { unsigned long long mask; unsigned long ino; int pid; } evs[MAXEV];
static int nev;

static void unmount_m(void)
{
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
}

static void collect(void)
{
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n;
	nev = 0;
	while ((n = read(fan, buf, sizeof(buf))) > 0) {
		struct fanotify_event_metadata *m = (struct fanotify_event_metadata *)buf;
		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			struct stat st = { 0 };
			if (m->fd >= 0) {
				fstat(m->fd, &st);
				close(m->fd);
			}
			if (nev < MAXEV) {
				evs[nev].mask = m->mask;
				evs[nev].ino = st.st_ino;
				evs[nev].pid = m->pid;
				nev++;
			}
		}
	}
}

static int seen(unsigned long ino, unsigned long long bit)
{
	for (int i = 0; i < nev; i++)
		if (evs[i].ino == ino && (evs[i].mask & bit) && evs[i].pid == getpid())
			return 1;
	return 0;
}

static unsigned long ino_of(const char *path)
{
	struct stat st;
	if (stat(path, &st))
		zdtm_fail("stat %s: %m", path);
	return st.st_ino;
}

static int mount_id(const char *point)
{
	char buf[65536], *line;
	zdtm_read_file("/proc/self/mountinfo", buf, sizeof(buf));
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		int id;
		char mp[PATH_MAX];
		if (sscanf(line, "%d %*d %*s %*s %4095s", &id, mp) == 2 && !strcmp(mp, point))
			return id;
	}
	return -1;
}

static int has_line(const char *info, const char *want)
{
	const char *p = strstr(info, want);
	return p && (p == info || p[-1] == '\n');
}

int main(int argc, char **argv)
{
	char f[PATH_MAX + 8], g[PATH_MAX + 8], h[PATH_MAX + 8], n[PATH_MAX + 8], info[8192], p[64], want[256];
	int hfd, fd, q = -1, marks = 0, mid;

	zdtm_init(argc, argv);
	snprintf(mnt, sizeof(mnt), "%s", zdtm_tmp_path("mnt"));
	snprintf(f, sizeof(f), "%s", zdtm_tmp_path("f"));
	mkdir(mnt, 0755);
	if (mount("amber-fan", mnt, "tmpfs", 0, "size=1m"))
		zdtm_fail("mount tmpfs on %s: %m", mnt);
	atexit(unmount_m);
	snprintf(g, sizeof(g), "%s/g", mnt);
	snprintf(h, sizeof(h), "%s/h", mnt);
	snprintf(n, sizeof(n), "%s/n", mnt);
	close(open(f, O_CREAT | O_WRONLY | O_TRUNC, 0644));
	close(open(g, O_CREAT | O_WRONLY | O_TRUNC, 0644));
	hfd = open(h, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (hfd < 0)
		zdtm_fail("open %s: %m", h);
	mid = mount_id(mnt);

	fan = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE);
	if (fan < 0)
		zdtm_fail("fanotify_init: %m");
	if (fanotify_mark(fan, FAN_MARK_ADD, FAN_MODIFY | FAN_CLOSE_WRITE, AT_FDCWD, f) ||
	    fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN | FAN_CLOSE_WRITE, AT_FDCWD, mnt) ||
	    fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY, FAN_OPEN, AT_FDCWD, g))
		zdtm_fail("fanotify_mark: %m");
	/* Above the group's fd, so that a restore opening files in fd order opens h after the group. */
	if (dup2(hfd, 50) != 50)
		zdtm_fail("dup2: %m");
	close(hfd);
	hfd = 50;
	fd = open(g, O_RDONLY);
	close(fd);
	collect();
	zdtm_check(nev == 0, "opening g was reported before the checkpoint (ignore mark not working?)");
	if (ioctl(fan, FIONREAD, &q) || q != 0)
		zdtm_fail("events queued at set-up: %d bytes", q);

	zdtm_ready();
	zdtm_wait_for_term();

	q = -1;
	zdtm_check(ioctl(fan, FIONREAD, &q) == 0 && q == 0, "FIONREAD says %d bytes queued after restore", q);
	collect();
	for (int i = 0; i < nev; i++)
		zdtm_log("spurious: mask %#llx ino %lu pid %d", evs[i].mask, evs[i].ino, evs[i].pid);
	zdtm_check(nev == 0, "%d events queued that nobody caused (the restore's own?)", nev);
	zdtm_check((fcntl(fan, F_GETFL) & O_NONBLOCK) && (fcntl(fan, F_GETFD) & FD_CLOEXEC), "fanotify fd flags changed");

	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", fan);
	zdtm_read_file(p, info, sizeof(info));
	for (char *s = info; (s = strstr(s, "\nfanotify ")); s++)
		marks++;
	zdtm_check(marks == 4, "fdinfo has %d fanotify lines, expected the group and 3 marks:\n%s", marks, info);
	zdtm_check(has_line(info, "fanotify flags:3 event-flags:8000\n"), "group flags differ:\n%s", info);
	snprintf(want, sizeof(want), "fanotify ino:%lx sdev:", ino_of(f));
	zdtm_check(has_line(info, want) && strstr(strstr(info, want), " mflags:0 mask:a ignored_mask:0 "), "no mark on f:\n%s", info);
	snprintf(want, sizeof(want), "fanotify ino:%lx sdev:", ino_of(g));
	zdtm_check(has_line(info, want) && strstr(strstr(info, want), " mflags:40 mask:0 ignored_mask:20 "), "no ignore mark on g:\n%s", info);
	snprintf(want, sizeof(want), "fanotify mnt_id:%x mflags:0 mask:28 ignored_mask:0\n", mid);
	zdtm_check(mid > 0 && has_line(info, want), "no mark on mount %d:\n%s", mid, info);

	fd = open(f, O_WRONLY | O_APPEND);
	zdtm_check(fd >= 0 && write(fd, "x", 1) == 1, "write f: %m");
	close(fd);
	collect();
	zdtm_check(seen(ino_of(f), FAN_MODIFY) && seen(ino_of(f), FAN_CLOSE_WRITE), "write to f not reported (%d events)", nev);
	fd = open(n, O_CREAT | O_WRONLY, 0644);
	close(fd);
	collect();
	zdtm_check(seen(ino_of(n), FAN_OPEN), "open of a new file on the marked mount not reported (%d events)", nev);
	fd = open(g, O_RDONLY);
	close(fd);
	collect();
	zdtm_check(!seen(ino_of(g), FAN_OPEN), "open of g reported: its ignore mark is lost");
	zdtm_check(write(hfd, "h", 1) == 1, "write h: %m");
	close(hfd);
	collect();
	zdtm_check(seen(ino_of(h), FAN_CLOSE_WRITE), "close of h after a write not reported");
	zdtm_finish();
}
