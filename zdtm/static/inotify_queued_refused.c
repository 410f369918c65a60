/*
 * inotify_queued_refused: an inotify instance with events not read yet. They cannot be read
 * without taking them from the task, so the dump must be refused (naming the fd) and the events
 * must still be there afterwards.
 *
 * State: an inotify fd watching a work directory for IN_CREATE|IN_DELETE; the files "x" and
 * "y" were created in it, and "x" removed: three events queued, unread.
 * Check after SIGTERM: FIONREAD is the size of exactly those three events, and reading gives
 * IN_CREATE "x", IN_CREATE "y", IN_DELETE "x" with the watch's wd, then EAGAIN.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static const struct { unsigned mask; const char *name; } want[] = { { IN_CREATE, "x" }, { IN_CREATE, "y" }, { IN_DELETE, "x" } };
	char dir[PATH_MAX], x[PATH_MAX + 8], y[PATH_MAX + 8];
	char buf[4096] __attribute__((aligned(8)));
	int in, wd, f, q = -1, i = 0, expect = 0;
	ssize_t n;

	zdtm_init(argc, argv);
	snprintf(dir, sizeof(dir), "%s", zdtm_tmp_path("watched"));
	mkdir(dir, 0755);
	snprintf(x, sizeof(x), "%s/x", dir);
	snprintf(y, sizeof(y), "%s/y", dir);
	in = inotify_init1(IN_NONBLOCK);
	wd = inotify_add_watch(in, dir, IN_CREATE | IN_DELETE);
	if (in < 0 || wd < 0)
		zdtm_fail("inotify: %m");
	f = open(x, O_CREAT | O_WRONLY, 0644);
	close(f);
	f = open(y, O_CREAT | O_WRONLY, 0644);
	close(f);
	if (f < 0 || unlink(x))
		zdtm_fail("files: %m");
	for (i = 0; i < 3; i++) /* the kernel pads names to 16 bytes: "x" and "y" take one block */
		expect += sizeof(struct inotify_event) + 16;

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ioctl(in, FIONREAD, &q) == 0 && q == expect, "FIONREAD %d, expected %d", q, expect);
	n = read(in, buf, sizeof(buf));
	i = 0;
	for (char *p = buf; n > 0 && p < buf + n; i++) {
		struct inotify_event *e = (struct inotify_event *)p;
		zdtm_check(i < 3 && e->wd == wd && (e->mask & want[i].mask) && e->len && !strcmp(e->name, want[i].name),
			   "event %d: wd %d mask %#x name %s", i, e->wd, e->mask, e->len ? e->name : "");
		p += sizeof(*e) + e->len;
	}
	zdtm_check(i == 3, "%d events queued, expected 3", i);
	errno = 0;
	zdtm_check(read(in, buf, sizeof(buf)) == -1 && errno == EAGAIN, "more events than caused");
	zdtm_finish();
}
