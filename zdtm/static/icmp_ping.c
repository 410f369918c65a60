/*
 * icmp_ping: ICMP "ping" sockets (SOCK_DGRAM, IPPROTO_ICMP / IPPROTO_ICMPV6).
 *
 * Ping sockets need the caller's group in net.ipv4.ping_group_range (which also covers
 * ICMPv6). If gid 0 is not in it, the test writes "0 0" there before creating the sockets
 * and puts the old value back when it exits, so the range stays open across the
 * checkpoint and restore (a restore has to create these sockets too).
 * State: P4 bound to 127.0.0.1 with identifier 20371 (the port of the address), P6 bound
 * to ::1 with identifier 20372.
 * Check after SIGTERM: getsockname gives the addresses with those identifiers; SO_TYPE is
 * SOCK_DGRAM and SO_PROTOCOL ICMP / ICMPV6; /proc/net/icmp and /proc/net/icmp6 list the
 * sockets (by inode) on those addresses; an echo request sent through each gets its echo
 * reply with the socket's identifier, the sequence number sent and the same payload.
 */
#include "zdtm.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define RANGE "/proc/sys/net/ipv4/ping_group_range"
#define ID4 20371
#define ID6 20372

static char old_range[64];
static pid_t owner;

static void put_range_back(void)
{
	if (getpid() == owner && old_range[0])
		zdtm_write_file(RANGE, old_range, strlen(old_range));
}

static void open_range(void)
{
	long lo = 1, hi = 0;
	zdtm_read_file(RANGE, old_range, sizeof(old_range));
	if (sscanf(old_range, "%ld %ld", &lo, &hi) == 2 && lo <= 0 && hi >= 0) {
		old_range[0] = '\0';	/* gid 0 is in: nothing to undo */
		return;
	}
	owner = getpid();
	atexit(put_range_back);
	zdtm_write_file(RANGE, "0 0", 3);
	zdtm_log("%s was %s, set to 0 0 until the test ends", RANGE, strtok(old_range, "\n") ? old_range : "");
	strcat(old_range, "\n");
}

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &len))
		return -1000 - errno;
	return v;
}

static int listed(const char *file, const char *local, int fd)
{
	char line[512], loc[80];
	unsigned long i;
	struct stat st;
	int found = 0;
	FILE *f = fopen(file, "r");
	if (!f || fstat(fd, &st))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %79s %*s %*s %*s %*s %*s %*s %*s %lu", loc, &i) == 2 && i == st.st_ino &&
		    !strcmp(loc, local))
			found = 1;
	fclose(f);
	return found;
}

/* Echo request through fd to `to`; 1 if the right reply comes back. */
static int ping(int fd, const void *to, socklen_t tolen, int req_type, int rep_type, int id, uint64_t seed)
{
	uint8_t msg[8 + 40], buf[256];
	uint64_t end = zdtm_now_ns() + 3000000000ULL;
	memset(msg, 0, sizeof(msg));
	msg[0] = req_type;
	msg[6] = 0x00;
	msg[7] = 0x77;	/* sequence 0x77; id and checksum are filled in by the kernel */
	zdtm_fill(msg + 8, 40, seed);
	if (sendto(fd, msg, sizeof(msg), 0, to, tolen) != sizeof(msg))
		return 0;
	while (zdtm_now_ns() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, 100) != 1)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == sizeof(msg) && buf[0] == rep_type && ((buf[4] << 8) | buf[5]) == id && buf[7] == 0x77 &&
		    zdtm_verify(buf + 8, 40, seed) < 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(ID4) }, g4;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(ID6), .sin6_addr = IN6ADDR_LOOPBACK_INIT }, g6;
	int p4, p6;
	char row4[32], row6[64];
	socklen_t len;

	zdtm_init(argc, argv);
	open_range();
	a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p4 = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	p6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	if (p4 < 0 || p6 < 0)
		zdtm_fail("ping socket: %m");
	if (bind(p4, (void *)&a4, sizeof(a4)) || bind(p6, (void *)&a6, sizeof(a6)))
		zdtm_fail("bind: %m");
	snprintf(row4, sizeof(row4), "%08X:%04X", a4.sin_addr.s_addr, ID4);
	snprintf(row6, sizeof(row6), "%08X%08X%08X%08X:%04X", a6.sin6_addr.s6_addr32[0], a6.sin6_addr.s6_addr32[1],
		 a6.sin6_addr.s6_addr32[2], a6.sin6_addr.s6_addr32[3], ID6);
	if (!listed("/proc/net/icmp", row4, p4) || !listed("/proc/net/icmp6", row6, p6))
		zdtm_fail("the ping sockets are not in /proc/net/icmp{,6} before the checkpoint");

	zdtm_ready();
	zdtm_wait_for_term();

	len = sizeof(g4);
	memset(&g4, 0, sizeof(g4));
	zdtm_check(getsockname(p4, (void *)&g4, &len) == 0 && !memcmp(&g4, &a4, sizeof(a4)),
		   "P4 bound to %s id %d, expected 127.0.0.1 id %d", inet_ntoa(g4.sin_addr), ntohs(g4.sin_port), ID4);
	len = sizeof(g6);
	memset(&g6, 0, sizeof(g6));
	zdtm_check(getsockname(p6, (void *)&g6, &len) == 0 && !memcmp(&g6, &a6, sizeof(a6)),
		   "P6 bound to id %d, expected ::1 id %d", ntohs(g6.sin6_port), ID6);
	zdtm_check(getint(p4, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM && getint(p4, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_ICMP,
		   "P4: type %d protocol %d", getint(p4, SOL_SOCKET, SO_TYPE), getint(p4, SOL_SOCKET, SO_PROTOCOL));
	zdtm_check(getint(p6, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM && getint(p6, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_ICMPV6,
		   "P6: type %d protocol %d", getint(p6, SOL_SOCKET, SO_TYPE), getint(p6, SOL_SOCKET, SO_PROTOCOL));
	zdtm_check(listed("/proc/net/icmp", row4, p4), "/proc/net/icmp does not list P4 on %s", row4);
	zdtm_check(listed("/proc/net/icmp6", row6, p6), "/proc/net/icmp6 does not list P6 on %s", row6);
	zdtm_check(ping(p4, &a4, sizeof(a4), 8, 0, ID4, 5501), "no echo reply through P4");
	zdtm_check(ping(p6, &a6, sizeof(a6), 128, 129, ID6, 5502), "no echo reply through P6");
	zdtm_finish();
}
