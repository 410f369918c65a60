/*
 * pty_pair_state: a pty pair held by the test, with everything a terminal program sets.
 * State: slave termios changed in every word (input/output/local flags, VINTR, VMIN, VTIME,
 * 9600 baud), a locked-termios mask on ECHO, window size 37x101 (5x7 pixels), packet mode on
 * the master, exclusive mode on the slave, O_NONBLOCK on the master.
 * Check after SIGTERM: the slave is the same /dev/pts/N (TIOCGPTN, ptsname, st_rdev), termios
 * and the lock mask read back equal, the window size, packet mode, exclusive mode and the
 * master's flags; then bytes go both ways (slave to master with the packet-mode status byte).
 */
#include "pty_util.h"
#include <stdio.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	int m, s, n, idx, pkt = 0, excl = 0;
	struct termios t, t2, lk, lk2;
	struct winsize ws = { 37, 101, 5, 7 }, ws2;
	struct stat st0, st1;
	char name[64], buf[64];

	zdtm_init(argc, argv);
	idx = pty_open_pair(&m, &s, O_NOCTTY);
	snprintf(name, sizeof(name), "%s", ptsname(m));
	if (tcgetattr(s, &t))
		zdtm_fail("tcgetattr: %m");
	t.c_iflag = (t.c_iflag | IGNPAR | IXANY) & ~ICRNL;
	t.c_oflag &= ~ONLCR;
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VINTR] = 7;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	cfsetispeed(&t, B9600);
	cfsetospeed(&t, B9600);
	if (tcsetattr(s, TCSANOW, &t) || tcgetattr(s, &t))
		zdtm_fail("tcsetattr: %m");
	memset(&lk, 0, sizeof(lk));
	lk.c_lflag = ECHO;
	if (ioctl(m, TIOCSLCKTRMIOS, &lk) || ioctl(m, TIOCGLCKTRMIOS, &lk))
		zdtm_fail("TIOCSLCKTRMIOS: %m");
	if (ioctl(m, TIOCSWINSZ, &ws))
		zdtm_fail("TIOCSWINSZ: %m");
	n = 1;
	if (ioctl(m, TIOCPKT, &n))
		zdtm_fail("TIOCPKT: %m");
	if (ioctl(s, TIOCEXCL))
		zdtm_fail("TIOCEXCL: %m");
	fcntl(m, F_SETFL, O_NONBLOCK | O_RDWR);
	fstat(s, &st0);

	zdtm_ready();
	zdtm_wait_for_term();

	n = -1;
	zdtm_check(ioctl(m, TIOCGPTN, &n) == 0 && n == idx, "pty index %d, expected %d", n, idx);
	zdtm_check(strcmp(ptsname(m), name) == 0, "ptsname %s, expected %s", ptsname(m), name);
	zdtm_check(fstat(s, &st1) == 0 && st1.st_rdev == st0.st_rdev, "slave rdev %#lx, expected %#lx", (long)st1.st_rdev, (long)st0.st_rdev);
	zdtm_check(tcgetattr(s, &t2) == 0, "tcgetattr: %m");
	zdtm_check(t2.c_iflag == t.c_iflag && t2.c_oflag == t.c_oflag && t2.c_cflag == t.c_cflag && t2.c_lflag == t.c_lflag,
		   "termios flags %o %o %o %o, expected %o %o %o %o", t2.c_iflag, t2.c_oflag, t2.c_cflag, t2.c_lflag,
		   t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
	zdtm_check(memcmp(t2.c_cc, t.c_cc, NCCS) == 0, "control characters differ (VINTR %d, VMIN %d)", t2.c_cc[VINTR], t2.c_cc[VMIN]);
	zdtm_check(cfgetispeed(&t2) == B9600 && cfgetospeed(&t2) == B9600, "speed %o/%o, expected B9600", cfgetispeed(&t2), cfgetospeed(&t2));
	zdtm_check(ioctl(m, TIOCGLCKTRMIOS, &lk2) == 0 && lk2.c_lflag == lk.c_lflag && lk2.c_iflag == lk.c_iflag,
		   "locked termios lflag %o, expected %o", lk2.c_lflag, lk.c_lflag);
	zdtm_check(ioctl(s, TIOCGWINSZ, &ws2) == 0 && ws2.ws_row == 37 && ws2.ws_col == 101 && ws2.ws_xpixel == 5 && ws2.ws_ypixel == 7,
		   "window %dx%d (%dx%d px), expected 37x101 (5x7)", ws2.ws_row, ws2.ws_col, ws2.ws_xpixel, ws2.ws_ypixel);
	zdtm_check(ioctl(m, TIOCGPKT, &pkt) == 0 && pkt == 1, "packet mode %d, expected 1", pkt);
	zdtm_check(ioctl(s, TIOCGEXCL, &excl) == 0 && excl == 1, "slave exclusive %d, expected 1", excl);
	zdtm_check((fcntl(m, F_GETFL) & (O_NONBLOCK | O_ACCMODE)) == (O_NONBLOCK | O_RDWR), "master flags %#o", fcntl(m, F_GETFL));

	zdtm_check(write(m, "ping", 4) == 4, "write to master: %m");
	n = (int)pty_read_for(s, buf, 4, 2000);
	zdtm_check(n == 4 && memcmp(buf, "ping", 4) == 0, "slave read %d bytes '%.*s', expected 'ping'", n, n, buf);
	zdtm_check(write(s, "pong\n", 5) == 5, "write to slave: %m");
	n = (int)pty_read_for(m, buf, 6, 2000);
	/* packet mode: a 0 status byte, then the data; ONLCR is off so \n stays \n */
	zdtm_check(n == 6 && buf[0] == 0 && memcmp(buf + 1, "pong\n", 5) == 0, "master read %d bytes, expected status 0 and 'pong\\n'", n);
	zdtm_finish();
}
