/**
 * Hands the restored socket a segment "from the peer" through a raw socket. Repair mode has
 * no option for "the peer's FIN arrived" or "the peer acknowledged our FIN", so the one way
 * to rebuild those half-closed states is to let the kernel receive the segment that did it.
 *
 * The packet goes to the local address; the kernel loops it back and its normal input path
 * finds the repaired socket by its four-tuple. Needs CAP_NET_RAW (repair already needs
 * CAP_NET_ADMIN). The segment carries no TCP options: with timestamps negotiated, Linux
 * accepts a segment without one (it skips the PAWS check for it) and we do not know the
 * peer's timestamp clock to forge a TSval.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { AF_INET, AF_INET6, IPPROTO_RAW, SOCK_RAW } from './constants';
import { addressBytes, encodeSockaddr, v4Mapped, type Endpoint } from './sockaddr';
import { buildSegment } from './segment';

const SOCK_CLOEXEC = 0o2000000;

/** SO_MARK of the segments restore() replays "from the peer" ("ambr"); network locks let it pass. */
export const REPLAY_MARK = 0x616d6272;
const SOL_SOCKET = 1, SO_MARK = 36;

export interface PeerSegment {
  seq: number;
  ack: number;
  flags: number;
  window: number;
}

/** The wire addresses: an AF_INET6 socket on a v4-mapped address talks IPv4. */
function wire(family: number, ep: Endpoint): { family: number; ep: Endpoint } {
  const v4 = family === AF_INET6 ? v4Mapped(ep.address) : undefined;
  return v4 ? { family: AF_INET, ep: { address: v4, port: ep.port } } : { family, ep };
}

export function injectFromPeer(family: number, local: Endpoint, remote: Endpoint, seg: PeerSegment): void {
  const dst = wire(family, local), src = wire(family, remote);
  const packet = buildSegment({
    src: addressBytes(src.family, src.ep),
    dst: addressBytes(dst.family, dst.ep),
    srcPort: remote.port,
    dstPort: local.port,
    ...seg,
  });
  // IPPROTO_RAW implies "header included": the kernel sends our IP header as is.
  const raw = native.socket(dst.family === AF_INET ? AF_INET : AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  try {
    // Marked, so that a network lock on this very connection lets the replayed segment through.
    const mark = Buffer.alloc(4);
    mark.writeUInt32LE(REPLAY_MARK);
    native.setsockopt(raw, SOL_SOCKET, SO_MARK, mark);
    // Raw sockets take no port: 0 in the destination's port field.
    native.sendmsg(raw, packet, encodeSockaddr(dst.family, { ...dst.ep, port: 0, flowinfo: 0 }), null, 0);
  } finally {
    fs.closeSync(raw);
  }
}
