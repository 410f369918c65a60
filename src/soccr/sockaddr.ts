/**
 * struct sockaddr_in / sockaddr_in6 <-> { address, port } with the address as text, so a
 * saved connection reads well as JSON. Only the two TCP families: anything else is refused.
 */
import type * as netModule from 'node:net';
import { AF_INET, AF_INET6 } from './constants';

// node:net loads on first use: it costs some 2 ms of every command's start, and most parse no address.
// Kept once loaded: require() itself, once per address, was a tenth of restoring 1,000 connections.
let netLoaded: typeof netModule | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const net = (): typeof netModule => (netLoaded ??= require('node:net'));

export interface Endpoint {
  /** Dotted quad for AF_INET, RFC 5952 text for AF_INET6 (e.g. "::1", "::ffff:127.0.0.1"). */
  address: string;
  port: number;
  /** AF_INET6 only: sin6_flowinfo (network order value) and sin6_scope_id (link-local). */
  flowinfo?: number;
  scopeId?: number;
}

const SIN_LEN = 16;
const SIN6_LEN = 28;

function ipv4Text(b: Buffer): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** A dotted quad's four bytes: decimal 0-255 each, no leading zeros (as net.isIPv4 has it). */
function ipv4Bytes(text: string): Buffer {
  const parts = text.split('.');
  const ok = parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
  if (!ok) throw new RangeError(`not an IPv4 address: ${text}`);
  return Buffer.from(parts.map(Number));
}

/** 16 bytes -> RFC 5952 text: lowercase, longest run (>1) of zero groups as "::". */
export function ipv6Text(b: Buffer): string {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `::ffff:${ipv4Text(b.subarray(12))}`;
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function ipv6Bytes(text: string): Buffer {
  if (!net().isIPv6(text)) throw new RangeError(`not an IPv6 address: ${text}`);
  let s = text;
  const dot = s.lastIndexOf(':');
  if (s.includes('.')) {
    // Rewrite an embedded IPv4 tail ("::ffff:1.2.3.4") as the two hex groups it stands for.
    const v4 = ipv4Bytes(s.slice(dot + 1));
    s = `${s.slice(0, dot + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = s.split('::');
  const parse = (p: string) => (p === '' ? [] : p.split(':').map((h) => parseInt(h, 16)));
  const head = parse(halves[0]);
  const rest = halves.length > 1 ? parse(halves[1]) : [];
  const groups = halves.length > 1 ? [...head, ...new Array(8 - head.length - rest.length).fill(0), ...rest] : head;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** The raw address bytes (4 or 16) of an endpoint of `family`. */
export function addressBytes(family: number, ep: Endpoint): Buffer {
  return family === AF_INET ? ipv4Bytes(ep.address) : ipv6Bytes(ep.address);
}

/** A getsockname/getpeername result -> family and endpoint. Throws RangeError for other families. */
export function parseSockaddr(b: Buffer): { family: number; endpoint: Endpoint } {
  const family = b.length >= 2 ? b.readUInt16LE(0) : -1;
  if (family === AF_INET && b.length >= SIN_LEN) {
    return { family, endpoint: { address: ipv4Text(b.subarray(4, 8)), port: b.readUInt16BE(2) } };
  }
  if (family === AF_INET6 && b.length >= SIN6_LEN) {
    const endpoint: Endpoint = { address: ipv6Text(b.subarray(8, 24)), port: b.readUInt16BE(2) };
    const flowinfo = b.readUInt32BE(4), scopeId = b.readUInt32LE(24);
    if (flowinfo) endpoint.flowinfo = flowinfo;
    if (scopeId) endpoint.scopeId = scopeId;
    return { family, endpoint };
  }
  throw new RangeError(`not an AF_INET/AF_INET6 socket address (family ${family}, ${b.length} bytes)`);
}

/** Endpoint -> struct sockaddr_in(6), ready for bind/connect/sendmsg. */
export function encodeSockaddr(family: number, ep: Endpoint): Buffer {
  if (family === AF_INET) {
    const b = Buffer.alloc(SIN_LEN);
    b.writeUInt16LE(AF_INET, 0);
    b.writeUInt16BE(ep.port, 2);
    ipv4Bytes(ep.address).copy(b, 4);
    return b;
  }
  if (family === AF_INET6) {
    const b = Buffer.alloc(SIN6_LEN);
    b.writeUInt16LE(AF_INET6, 0);
    b.writeUInt16BE(ep.port, 2);
    b.writeUInt32BE(ep.flowinfo ?? 0, 4);
    ipv6Bytes(ep.address).copy(b, 8);
    b.writeUInt32LE(ep.scopeId ?? 0, 24);
    return b;
  }
  throw new RangeError(`unsupported address family ${family}`);
}

/** "::ffff:a.b.c.d": an AF_INET6 socket talking IPv4 on the wire. Returns the IPv4 text or undefined. */
export function v4Mapped(address: string): string | undefined {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m && net().isIPv4(m[1]) ? m[1] : undefined;
}
