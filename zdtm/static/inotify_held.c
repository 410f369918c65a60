/*
 * inotify_held: an inotify instance with a watch on a directory and one on a file in it.
 *
 * State: an inotify fd (IN_NONBLOCK) watching a work directory for IN_CREATE|IN_DELETE and
 * a file in it for IN_MODIFY; before the checkpoint the file "one" was created in the
 * directory and the watched file written, and both events were read (IN_CREATE "one" on the
 * directory watch, then IN_MODIFY on the file watch): nothing is queued at the checkpoint
 * (amber refuses a queue with unread events, see inotify_queued_refused).
 * Check after SIGTERM: nothing is queued (EAGAIN); fdinfo lists both watches with their wds
 * and masks; a new write to the file is reported as IN_MODIFY on the file watch, and the
 * deletion of "one" as IN_DELETE "one" on the directory watch (the watches still work).
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

static int next_event(int fd, char *buf, size_t size, struct inotify_event **ev)
{
	static char *pos, *end;
	if (!pos || pos >= end) {
		ssize_t n = read(fd, buf, size);
		if (n <= 0)
			return -1;
		pos = buf;
		end = buf + n;
	}
	*ev = (struct inotify_event *)pos;
	pos += sizeof(**ev) + (*ev)->len;
	return 0;
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX], file[PATH_MAX + 16], one[PATH_MAX + 16], info[4096], path[64];
	char buf[4096] __attribute__((aligned(8)));
	struct inotify_event *ev;
	int in, wd_dir, wd_file, f;

	zdtm_init(argc, argv);
	snprintf(dir, sizeof(dir), "%s", zdtm_tmp_path("watched"));
	mkdir(dir, 0755);
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(one, sizeof(one), "%s/one", dir);
	unlink(one);
	f = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (f < 0)
		zdtm_fail("open %s: %m", file);
	close(f);
	in = inotify_init1(IN_NONBLOCK);
	wd_dir = inotify_add_watch(in, dir, IN_CREATE | IN_DELETE);
	wd_file = inotify_add_watch(in, file, IN_MODIFY);
	if (in < 0 || wd_dir < 0 || wd_file < 0)
		zdtm_fail("inotify: %m");
	f = open(one, O_CREAT | O_WRONLY, 0644);
	close(f);
	f = open(file, O_WRONLY);
	if (f < 0 || write(f, "x", 1) != 1)
		zdtm_fail("write %s: %m", file);
	close(f);
	if (next_event(in, buf, sizeof(buf), &ev) || ev->wd != wd_dir || !(ev->mask & IN_CREATE) || !ev->len || strcmp(ev->name, "one"))
		zdtm_fail("first event is not IN_CREATE one");
	if (next_event(in, buf, sizeof(buf), &ev) || ev->wd != wd_file || !(ev->mask & IN_MODIFY))
		zdtm_fail("second event is not IN_MODIFY on the file");
	errno = 0;
	if (next_event(in, buf, sizeof(buf), &ev) != -1 || errno != EAGAIN)
		zdtm_fail("more events than caused before the checkpoint");

	zdtm_ready();
	zdtm_wait_for_term();

	errno = 0;
	zdtm_check(next_event(in, buf, sizeof(buf), &ev) == -1 && errno == EAGAIN, "events queued after restore that nobody caused");

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", in);
	zdtm_read_file(path, info, sizeof(info));
	{
		char want1[64], want2[64];
		snprintf(want1, sizeof(want1), "inotify wd:%x ", wd_dir);
		snprintf(want2, sizeof(want2), "inotify wd:%x ", wd_file);
		zdtm_check(strstr(info, want1) && strstr(info, want2), "fdinfo does not list both watches:\n%s", info);
		zdtm_check(strstr(info, "mask:300 ") && strstr(info, "mask:2 "), "fdinfo masks differ:\n%s", info);
	}
	f = open(file, O_WRONLY);
	zdtm_check(f >= 0 && write(f, "y", 1) == 1, "write %s: %m", file);
	close(f);
	zdtm_check(next_event(in, buf, sizeof(buf), &ev) == 0 && ev->wd == wd_file && (ev->mask & IN_MODIFY),
		   "no IN_MODIFY on the file watch after a write");
	errno = 0;
	zdtm_check(next_event(in, buf, sizeof(buf), &ev) == -1 && errno == EAGAIN, "more events than caused");
	unlink(one);
	zdtm_check(next_event(in, buf, sizeof(buf), &ev) == 0 && ev->wd == wd_dir && (ev->mask & IN_DELETE) &&
		   ev->len && !strcmp(ev->name, "one"), "no IN_DELETE one after unlinking one");
	zdtm_finish();
}
