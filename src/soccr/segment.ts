/**
 * Builds one IPv4 or IPv6 packet carrying a bare TCP header (no payload, no options), with
 * both checksums filled in. Pure; inject.ts sends what this builds.
 */

export const TH_FIN = 0x01;
export const TH_ACK = 0x10;

const IPV4_HDR = 20;
const IPV6_HDR = 40;
const TCP_HDR = 20;
const PROTO_TCP = 6;
const TTL = 64;
const IP_DF = 0x4000;

export interface SegmentSpec {
  /** 4 or 16 bytes each; the IP version follows from the length. */
  src: Buffer;
  dst: Buffer;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** TH_* bits. */
  flags: number;
  /** The 16-bit window field as sent (already shifted right by the sender's window scale). */
  window: number;
}

/** RFC 1071 one's-complement sum of the buffers (every one but the last of even length), as the checksum. */
export function internetChecksum(...parts: Buffer[]): number {
  let sum = 0;
  for (const b of parts) {
    for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
    if (b.length & 1) sum += b[b.length - 1] << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function tcpHeader(s: SegmentSpec): Buffer {
  const t = Buffer.alloc(TCP_HDR);
  t.writeUInt16BE(s.srcPort, 0);
  t.writeUInt16BE(s.dstPort, 2);
  t.writeUInt32BE(s.seq >>> 0, 4);
  t.writeUInt32BE(s.ack >>> 0, 8);
  t[12] = (TCP_HDR / 4) << 4;
  t[13] = s.flags;
  t.writeUInt16BE(Math.min(0xffff, s.window), 14);
  return t;
}

function pseudoHeader(src: Buffer, dst: Buffer, length: number): Buffer {
  if (src.length === 4) {
    const p = Buffer.alloc(12);
    src.copy(p, 0);
    dst.copy(p, 4);
    p[9] = PROTO_TCP;
    p.writeUInt16BE(length, 10);
    return p;
  }
  const p = Buffer.alloc(40);
  src.copy(p, 0);
  dst.copy(p, 16);
  p.writeUInt32BE(length, 32);
  p[39] = PROTO_TCP;
  return p;
}

function ipHeader(src: Buffer, dst: Buffer, payload: number): Buffer {
  if (src.length === 4) {
    const h = Buffer.alloc(IPV4_HDR);
    h[0] = 0x45; // version 4, 5 words of header
    h.writeUInt16BE(IPV4_HDR + payload, 2);
    h.writeUInt16BE(IP_DF, 6);
    h[8] = TTL;
    h[9] = PROTO_TCP;
    src.copy(h, 12);
    dst.copy(h, 16);
    h.writeUInt16BE(internetChecksum(h), 10);
    return h;
  }
  const h = Buffer.alloc(IPV6_HDR);
  h.writeUInt32BE(0x60000000, 0); // version 6, no traffic class or flow label
  h.writeUInt16BE(payload, 4);
  h[6] = PROTO_TCP;
  h[7] = TTL;
  src.copy(h, 8);
  dst.copy(h, 24);
  return h;
}

export function buildSegment(s: SegmentSpec): Buffer {
  if (!((s.src.length === 4 || s.src.length === 16) && s.dst.length === s.src.length)) {
    throw new RangeError(`addresses must both be 4 or 16 bytes (got ${s.src.length} and ${s.dst.length})`);
  }
  const tcp = tcpHeader(s);
  tcp.writeUInt16BE(internetChecksum(pseudoHeader(s.src, s.dst, tcp.length), tcp), 16);
  return Buffer.concat([ipHeader(s.src, s.dst, tcp.length), tcp]);
}
