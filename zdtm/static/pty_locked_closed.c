/*
 * pty_locked_closed: two pty masters in states a terminal program meets at its edges.
 * State: A was never unlocked (posix_openpt without unlockpt), so its slave cannot be opened;
 * B was unlocked, its slave opened, written to and closed: B's master has "bye\r\n" to read and
 * then only EIO (the slave side is gone).
 * Check after SIGTERM: both indexes are as before; A is still locked (TIOCGPTLCK) and opening its
 * slave fails with EIO; B is unlocked, its master reads "bye\r\n" then fails with EIO.
 */
#include "pty_util.h"
#include <stdio.h>

int main(int argc, char **argv)
{
	int a, b, s, ia = -1, ib = -1, n = -1, lk = -1;
	char an[64], buf[64];

	zdtm_init(argc, argv);
	a = posix_openpt(O_RDWR | O_NOCTTY);
	if (a < 0 || grantpt(a) || ioctl(a, TIOCGPTN, &ia))
		zdtm_fail("posix_openpt: %m");
	snprintf(an, sizeof(an), "%s", ptsname(a));
	ib = pty_open_pair(&b, &s, O_NOCTTY);
	if (write(s, "bye\n", 4) != 4)
		zdtm_fail("write: %m");
	close(s);
	zdtm_sleep_ms(50);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ioctl(a, TIOCGPTN, &n) == 0 && n == ia, "A: index %d, expected %d", n, ia);
	zdtm_check(ioctl(a, TIOCGPTLCK, &lk) == 0 && lk == 1, "A: lock %d, expected 1", lk);
	s = open(an, O_RDWR | O_NOCTTY);
	zdtm_check(s < 0 && errno == EIO, "A: opening the locked slave %s gave fd %d (%m), expected EIO", an, s);
	n = -1;
	zdtm_check(ioctl(b, TIOCGPTN, &n) == 0 && n == ib, "B: index %d, expected %d", n, ib);
	zdtm_check(ioctl(b, TIOCGPTLCK, &lk) == 0 && lk == 0, "B: lock %d, expected 0", lk);
	n = (int)pty_read_for(b, buf, 5, 2000);
	zdtm_check(n == 5 && memcmp(buf, "bye\r\n", 5) == 0, "B: master read %d bytes '%.*s'", n, n, buf);
	n = (int)read(b, buf, sizeof(buf));
	zdtm_check(n < 0 && errno == EIO, "B: read after the data gave %d (%m), expected EIO", n);
	zdtm_finish();
}
