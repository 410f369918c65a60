/*
 * pty_master_child: a pty whose master is held by a child and whose slave is held by the
 * parent, with bytes queued both ways.
 *
 * State: the test opens a pty pair (index N), clears ECHO on the slave (canonical mode,
 * output processing on) and forks child C; C keeps only the master, the test only the
 * slave. C wrote "hello\nwor" (a line and a partial one) for the slave; the test wrote
 * "to master\n" for the master (ONLCR makes it "to master\r\n").
 * Check after SIGTERM: the test's slave is still /dev/pts/N (ttyname, rdev), ECHO still
 * off, ICANON on; it reads "hello\n" as one line, the partial line is not readable. C
 * (told through a shared page) checks TIOCGPTN is N, reads exactly "to master\r\n" and
 * nothing more, then writes "ld\n"; the slave then reads "world\n". C exits 0 and the
 * master's end is seen: the slave gets EIO or EOF after C is gone.
 */
#include "pty_util.h"
#include "kid_util.h"
#include <stdio.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	int m, s, n, i;
	volatile int *sh;
	struct termios t;
	struct stat st0, st;
	char name0[64], buf[256];
	const char *tn;
	pid_t c;
	ssize_t r;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	n = pty_open_pair(&m, &s, O_NOCTTY);
	if (tcgetattr(s, &t))
		zdtm_fail("tcgetattr: %m");
	t.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL);
	if (tcsetattr(s, TCSANOW, &t))
		zdtm_fail("tcsetattr: %m");
	snprintf(name0, sizeof(name0), "/dev/pts/%d", n);
	fstat(s, &st0);

	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int k = -1, before = zdtm_failures();
		close(s);
		if (write(m, "hello\nwor", 9) != 9)
			_exit(10);
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[1], 1, 1000000))
			;
		zdtm_check(ioctl(m, TIOCGPTN, &k) == 0 && k == n, "child: TIOCGPTN %d, expected %d", k, n);
		r = (ssize_t)pty_read_for(m, buf, 11, 2000);
		zdtm_check(r == 11 && !memcmp(buf, "to master\r\n", 11), "child: master read %zd bytes '%.*s'", r,
			   (int)(r > 0 ? r : 0), buf);
		zdtm_check(pty_quiet_for(m, 200), "child: more bytes on the master than were queued");
		zdtm_check(write(m, "ld\n", 3) == 3, "child: write to master: %m");
		kid_set_word(&sh[2], 1);
		kid_wait_word(&sh[3], 1, 5000);
		_exit(zdtm_failures() != before);
	}
	close(m);
	if (!kid_wait_word(&sh[0], 1, 5000))
		zdtm_fail("child did not write");
	if (write(s, "to master\n", 10) != 10)
		zdtm_fail("write to slave: %m");
	zdtm_sleep_ms(50);
	zdtm_log("pty %d, child %d", n, (int)c);

	zdtm_ready();
	zdtm_wait_for_term();

	tn = ttyname(s);
	zdtm_check(tn && !strcmp(tn, name0), "slave is %s, expected %s", tn ? tn : "?", name0);
	zdtm_check(fstat(s, &st) == 0 && st.st_rdev == st0.st_rdev, "slave rdev %#lx, expected %#lx",
		   (unsigned long)st.st_rdev, (unsigned long)st0.st_rdev);
	zdtm_check(tcgetattr(s, &t) == 0 && !(t.c_lflag & ECHO) && (t.c_lflag & ICANON) && (t.c_oflag & ONLCR),
		   "slave lflag %#x oflag %#x", t.c_lflag, t.c_oflag);
	fcntl(s, F_SETFL, O_RDWR | O_NONBLOCK);
	r = pty_read_once(s, buf, sizeof(buf), 1000);
	zdtm_check(r == 6 && !memcmp(buf, "hello\n", 6), "slave read %zd bytes '%.*s', expected 'hello\\n'", r,
		   (int)(r > 0 ? r : 0), buf);
	zdtm_check(read(s, buf, sizeof(buf)) < 0 && errno == EAGAIN, "the partial line is readable already");
	kid_set_word(&sh[1], 1);
	zdtm_check(kid_wait_word(&sh[2], 1, 5000), "child did not answer");
	r = pty_read_once(s, buf, sizeof(buf), 2000);
	zdtm_check(r == 6 && !memcmp(buf, "world\n", 6), "slave read %zd bytes '%.*s', expected 'world\\n'", r,
		   (int)(r > 0 ? r : 0), buf);
	kid_set_word(&sh[3], 1);
	kid_reap_ok(c, "the master's child", 5000);
	for (i = 0; i < 100; i++) {
		r = read(s, buf, sizeof(buf));
		if (r == 0 || (r < 0 && errno == EIO))
			break;
		zdtm_sleep_ms(10);
	}
	zdtm_check(i < 100, "the slave does not see the master closed (read %zd, %m)", r);
	zdtm_finish();
}
