/*
 * pty_raw_vmin: ptys in raw mode (cfmakeraw) with VMIN/VTIME and input not yet read.
 *
 * State: pty A's slave is raw with VMIN 5, VTIME 0; its master wrote 3 bytes
 * "a\x03\r" (a ^C and a CR that raw mode must pass unchanged), less than VMIN. pty B's
 * slave is raw with VMIN 0, VTIME 10 (1 s), the master wrote "\x7fz". A's slave wrote
 * "x\ny" (OPOST off: no CR added) for its master.
 * Check after SIGTERM: both slaves still raw (no ICANON/ECHO/ISIG/ICRNL/OPOST, CS8) with
 * their VMIN/VTIME; A: TIOCINQ 3, poll not readable (fewer than VMIN bytes), A's master
 * reads exactly "x\ny"; after the master adds "de", poll readable and one blocking read
 * returns the 5 bytes "a\x03\rde". B: TIOCINQ 2, read returns "\x7fz" at once, the next
 * read returns 0 after about VTIME (0.7 to 3 s), no signal was raised by the ^C.
 */
#include "pty_util.h"
#include <stdio.h>

static volatile sig_atomic_t got_int;
static void on_int(int sig) { (void)sig; got_int++; }

static int is_raw(const struct termios *t, int vmin, int vtime)
{
	return !(t->c_lflag & (ICANON | ECHO | ISIG | IEXTEN)) && !(t->c_iflag & (ICRNL | IXON | ISTRIP)) &&
	       !(t->c_oflag & OPOST) && (t->c_cflag & CSIZE) == CS8 && t->c_cc[VMIN] == vmin &&
	       t->c_cc[VTIME] == vtime;
}

static void make_raw(int fd, int vmin, int vtime)
{
	struct termios t;
	if (tcgetattr(fd, &t))
		zdtm_fail("tcgetattr: %m");
	cfmakeraw(&t);
	t.c_cc[VMIN] = vmin;
	t.c_cc[VTIME] = vtime;
	if (tcsetattr(fd, TCSANOW, &t))
		zdtm_fail("tcsetattr: %m");
}

int main(int argc, char **argv)
{
	int ma, sa, mb, sb, q;
	struct termios t;
	struct pollfd p;
	char buf[64];
	ssize_t r;
	uint64_t t0, dt;

	zdtm_init(argc, argv);
	signal(SIGINT, on_int);
	pty_open_pair(&ma, &sa, O_NOCTTY);
	pty_open_pair(&mb, &sb, O_NOCTTY);
	make_raw(sa, 5, 0);
	make_raw(sb, 0, 10);
	if (write(ma, "a\x03\r", 3) != 3 || write(mb, "\x7fz", 2) != 2 || write(sa, "x\ny", 3) != 3)
		zdtm_fail("write: %m");
	zdtm_sleep_ms(50);
	if (ioctl(sa, TIOCINQ, &q) || q != 3)
		zdtm_fail("TIOCINQ of A is %d before the checkpoint", q);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(tcgetattr(sa, &t) == 0 && is_raw(&t, 5, 0), "A: not raw with VMIN 5 VTIME 0 (lflag %#x iflag %#x oflag %#x VMIN %d VTIME %d)",
		   t.c_lflag, t.c_iflag, t.c_oflag, t.c_cc[VMIN], t.c_cc[VTIME]);
	zdtm_check(tcgetattr(sb, &t) == 0 && is_raw(&t, 0, 10), "B: not raw with VMIN 0 VTIME 10 (lflag %#x iflag %#x oflag %#x VMIN %d VTIME %d)",
		   t.c_lflag, t.c_iflag, t.c_oflag, t.c_cc[VMIN], t.c_cc[VTIME]);
	q = -1;
	zdtm_check(ioctl(sa, TIOCINQ, &q) == 0 && q == 3, "A: TIOCINQ %d, expected 3", q);
	p = (struct pollfd){ sa, POLLIN, 0 };
	zdtm_check(poll(&p, 1, 100) == 0, "A: readable with fewer than VMIN bytes (revents %#x)", p.revents);
	r = (ssize_t)pty_read_for(ma, buf, 3, 2000);
	zdtm_check(r == 3 && !memcmp(buf, "x\ny", 3), "A's master read %zd bytes '%.*s', expected 'x\\ny'", r, (int)r, buf);
	zdtm_check(pty_quiet_for(ma, 200), "A's master has more than was queued");
	zdtm_check(write(ma, "de", 2) == 2, "write: %m");
	p = (struct pollfd){ sa, POLLIN, 0 };
	zdtm_check(poll(&p, 1, 2000) == 1, "A: not readable with VMIN bytes");
	r = read(sa, buf, sizeof(buf));
	zdtm_check(r == 5 && !memcmp(buf, "a\x03\rde", 5), "A: read %zd bytes, expected a ^C CR d e", r);

	q = -1;
	zdtm_check(ioctl(sb, TIOCINQ, &q) == 0 && q == 2, "B: TIOCINQ %d, expected 2", q);
	t0 = zdtm_now_ns();
	r = read(sb, buf, sizeof(buf));
	dt = zdtm_now_ns() - t0;
	zdtm_check(r == 2 && !memcmp(buf, "\x7fz", 2) && dt < 500000000ull, "B: read %zd bytes in %llu ms, expected DEL z at once",
		   r, (unsigned long long)(dt / 1000000));
	t0 = zdtm_now_ns();
	r = read(sb, buf, sizeof(buf));
	dt = zdtm_now_ns() - t0;
	zdtm_check(r == 0 && dt > 700000000ull && dt < 3000000000ull, "B: empty read gave %zd after %llu ms, expected 0 after ~1000",
		   r, (unsigned long long)(dt / 1000000));
	zdtm_check(got_int == 0, "SIGINT raised %d times", (int)got_int);
	zdtm_finish();
}
