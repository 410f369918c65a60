/*
 * packet_rx_ring: an AF_PACKET socket with an mmap'ed PACKET_RX_RING (not supported: the
 * dump must refuse it cleanly and leave the test running as it was; flag crfail).
 *
 * State: P = socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) with a classic BPF filter passing only
 * IPv4 UDP frames to port 20395, PACKET_VERSION TPACKET_V2 and a receive ring of 4 blocks
 * of 4096 bytes (8 frames of 2048) mapped MAP_SHARED, bound to lo. No frame is in use.
 * Check after SIGTERM: PACKET_VERSION reads TPACKET_V2; the ring is still mapped
 * read-write shared at the same address; every frame is still owned by the kernel; a UDP
 * datagram with a 40-byte pattern sent to 127.0.0.1:20395 shows up in a frame handed to
 * user space, with the frame's length fields matching and the pattern at the end.
 */
#include "inet_util.h"
#include <net/if.h>
#include <sys/mman.h>

#define BLOCK 4096
#define NBLOCKS 4
#define FRAME 2048
#define NFRAMES (BLOCK * NBLOCKS / FRAME)
#define MARK_LEN 40

static struct sock_filter prog[] = IT_UDP4_DPORT_FILTER(20395);

static struct tpacket2_hdr *frame(uint8_t *ring, int i)
{
	return (struct tpacket2_hdr *)(ring + (size_t)i * FRAME);
}

int main(int argc, char **argv)
{
	struct sock_fprog fp = { sizeof(prog) / sizeof(prog[0]), prog };
	struct tpacket_req req = { BLOCK, NBLOCKS, FRAME, NFRAMES };
	struct sockaddr_ll l = { .sll_family = AF_PACKET };
	struct sockaddr_in dst = it_lo4(20395);
	int p, s, v = TPACKET_V2, i, found = 0, user = 0;
	struct zdtm_map m;
	uint8_t *ring, mark[MARK_LEN];
	socklen_t len;
	uint64_t end;

	zdtm_init(argc, argv);
	p = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (p < 0 || setsockopt(p, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) ||
	    setsockopt(p, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) ||
	    setsockopt(p, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
		zdtm_fail("packet socket with a ring: %m");
	ring = mmap(NULL, BLOCK * NBLOCKS, PROT_READ | PROT_WRITE, MAP_SHARED, p, 0);
	if (ring == MAP_FAILED)
		zdtm_fail("mmap of the ring: %m");
	l.sll_protocol = htons(ETH_P_ALL);
	l.sll_ifindex = if_nametoindex("lo");
	if (bind(p, (void *)&l, sizeof(l)))
		zdtm_fail("bind: %m");
	/* Frames caught before the filter and the bind took effect go back to the kernel. */
	for (i = 0; i < NFRAMES; i++)
		frame(ring, i)->tp_status = TP_STATUS_KERNEL;
	__sync_synchronize();

	zdtm_ready();
	zdtm_wait_for_term();

	len = sizeof(v);
	v = -1;
	zdtm_check(getsockopt(p, SOL_PACKET, PACKET_VERSION, &v, &len) == 0 && v == TPACKET_V2,
		   "PACKET_VERSION reads %d", v);
	zdtm_check(zdtm_find_map(ring, &m) == 0 && m.start == (unsigned long)ring &&
		   m.end == (unsigned long)ring + BLOCK * NBLOCKS && !strcmp(m.perms, "rw-s"),
		   "the ring is not mapped as before");
	for (i = 0; i < NFRAMES; i++)
		user += frame(ring, i)->tp_status != TP_STATUS_KERNEL;
	zdtm_check(user == 0, "%d frames were handed to user space while waiting: the filter is gone", user);

	s = socket(AF_INET, SOCK_DGRAM, 0);
	zdtm_fill(mark, MARK_LEN, 5801);
	zdtm_check(s >= 0 && sendto(s, mark, MARK_LEN, 0, (void *)&dst, sizeof(dst)) == MARK_LEN, "sendto: %m");
	end = zdtm_now_ns() + 3000000000ULL;
	while (!found && zdtm_now_ns() < end) {
		for (i = 0; i < NFRAMES; i++) {
			struct tpacket2_hdr *h = frame(ring, i);
			__sync_synchronize();
			if (!(h->tp_status & TP_STATUS_USER))
				continue;
			if (h->tp_snaplen == h->tp_len && h->tp_len >= 14 + 20 + 8 + MARK_LEN &&
			    h->tp_mac + h->tp_snaplen <= FRAME &&
			    zdtm_verify((uint8_t *)h + h->tp_mac + h->tp_snaplen - MARK_LEN, MARK_LEN, 5801) < 0)
				found = 1;
			h->tp_status = TP_STATUS_KERNEL;
		}
		if (!found)
			zdtm_sleep_ms(10);
	}
	zdtm_check(found, "the datagram to port 20395 did not show up in the ring");
	zdtm_finish();
}
