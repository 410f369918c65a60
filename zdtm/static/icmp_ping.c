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
#include "inet_util.h"
#include <stdlib.h>

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

/* An echo request through fd to `to`; 1 if the right reply (identifier id) comes back. */
static int ping(int fd, const void *to, int req, int rep, int id, uint64_t seed)
{
	int replies, requests;
	return it_echo(fd, to, 0, req, rep, id, 0x77, seed, 40, 1, &replies, &requests) && replies == 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a4 = it_lo4(ID4);
	struct sockaddr_in6 a6 = it_lo6(ID6);
	int p4, p6;

	zdtm_init(argc, argv);
	open_range();
	p4 = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	p6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	if (p4 < 0 || p6 < 0)
		zdtm_fail("ping socket: %m");
	if (bind(p4, (void *)&a4, sizeof(a4)) || bind(p6, (void *)&a6, sizeof(a6)))
		zdtm_fail("bind: %m");
	if (it_proc_net_state("/proc/net/icmp", &a4, p4) < 0 || it_proc_net_state("/proc/net/icmp6", &a6, p6) < 0)
		zdtm_fail("the ping sockets are not in /proc/net/icmp{,6} before the checkpoint");

	zdtm_ready();
	zdtm_wait_for_term();

	it_check_names("P4", p4, &a4, NULL);
	it_check_names("P6", p6, &a6, NULL);
	UT_CHECK_INT("P4", p4, SOL_SOCKET, SO_TYPE, SOCK_DGRAM);
	UT_CHECK_INT("P4", p4, SOL_SOCKET, SO_PROTOCOL, IPPROTO_ICMP);
	UT_CHECK_INT("P6", p6, SOL_SOCKET, SO_TYPE, SOCK_DGRAM);
	UT_CHECK_INT("P6", p6, SOL_SOCKET, SO_PROTOCOL, IPPROTO_ICMPV6);
	zdtm_check(it_proc_net_state("/proc/net/icmp", &a4, p4) >= 0, "/proc/net/icmp does not list P4 on %s",
		   it_proc_net_addr(&a4));
	zdtm_check(it_proc_net_state("/proc/net/icmp6", &a6, p6) >= 0, "/proc/net/icmp6 does not list P6 on %s",
		   it_proc_net_addr(&a6));
	zdtm_check(ping(p4, &a4, 8, 0, ID4, 5501), "no echo reply through P4");
	zdtm_check(ping(p6, &a6, 128, 129, ID6, 5502), "no echo reply through P6");
	zdtm_finish();
}
