/*
 * pty_queued_data: bytes waiting in both queues of a pty pair in canonical mode with echo on.
 * State: the master wrote "first line\nsecond\npart" that the slave has not read (two lines
 * and a partial one); the echo of it and the slave's own "from slave\n" wait for the master
 * (output processing turned \n into \r\n).
 * Check after SIGTERM: the master reads exactly the echo then the slave's line, and nothing more
 * (the restore fed the queue without echoing it again); the slave reads "first line\n" and
 * "second\n" as two lines, the partial line is not readable yet, and becomes "partial\n" once
 * the master completes it with "ial\n" (whose echo alone then reaches the master).
 */
#include "pty_util.h"
#include <stdio.h>

static const char to_master[] = "first line\r\nsecond\r\npartfrom slave\r\n";

int main(int argc, char **argv)
{
	int m, s;
	char buf[256];
	size_t n;

	zdtm_init(argc, argv);
	pty_open_pair(&m, &s, O_NOCTTY);
	if (write(m, "first line\nsecond\npart", 22) != 22)
		zdtm_fail("write to master: %m");
	zdtm_sleep_ms(50);
	if (write(s, "from slave\n", 11) != 11)
		zdtm_fail("write to slave: %m");
	zdtm_sleep_ms(50);

	zdtm_ready();
	zdtm_wait_for_term();

	n = pty_read_for(m, buf, sizeof(to_master) - 1, 2000);
	zdtm_check(n == sizeof(to_master) - 1 && memcmp(buf, to_master, n) == 0,
		   "master read %zu bytes '%.*s', expected '%s'", n, (int)n, buf, to_master);
	zdtm_check(pty_quiet_for(m, 200), "more bytes for the master than were queued");

	fcntl(s, F_SETFL, O_RDWR | O_NONBLOCK);
	n = (size_t)pty_read_once(s, buf, sizeof(buf), 300);
	zdtm_check(n == 11 && memcmp(buf, "first line\n", 11) == 0, "first slave read %zu bytes '%.*s'", n, (int)n, buf);
	n = (size_t)pty_read_once(s, buf, sizeof(buf), 300);
	zdtm_check(n == 7 && memcmp(buf, "second\n", 7) == 0, "second slave read %zu bytes '%.*s'", n, (int)n, buf);
	zdtm_check(read(s, buf, sizeof(buf)) < 0 && errno == EAGAIN, "the partial line is readable already");
	zdtm_check(write(m, "ial\n", 4) == 4, "write to master: %m");
	n = (size_t)pty_read_once(s, buf, sizeof(buf), 2000);
	zdtm_check(n == 8 && memcmp(buf, "partial\n", 8) == 0, "third slave read %zu bytes '%.*s', expected 'partial\\n'", n, (int)n, buf);
	n = pty_read_for(m, buf, 5, 2000);
	zdtm_check(n == 5 && memcmp(buf, "ial\r\n", 5) == 0, "echo of the completion: %zu bytes '%.*s'", n, (int)n, buf);
	zdtm_finish();
}
