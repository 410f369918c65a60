/**
 * A netlink request and its replies: one socket per request, the kernel's answer collected until
 * NLMSG_DONE (dumps) or the single reply. The message payloads are handed back unparsed.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { SysError } from '../errors';
import { AF_NETLINK } from './sockaddr';

const SOCK_DGRAM = 2, SOCK_CLOEXEC = 0o2000000;
export const NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2, NLMSG_DONE = 3;
const HDR = 16;
const RECV_BUF = 256 * 1024;

export interface NetlinkMessage {
  type: number;
  flags: number;
  payload: Buffer;
}

function kernelAddr(): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16LE(AF_NETLINK, 0);
  return b;
}

export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Sends one request and returns every message of the answer but the final DONE/ACK. */
export function netlinkRequest(protocol: number, type: number, flags: number, payload: Buffer, what: string): NetlinkMessage[] {
  const fd = native.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, protocol);
  try {
    const msg = Buffer.alloc(HDR + payload.length);
    msg.writeUInt32LE(msg.length, 0);
    msg.writeUInt16LE(type, 4);
    msg.writeUInt16LE(flags | NLM_F_REQUEST, 6);
    msg.writeUInt32LE(1, 8);
    payload.copy(msg, HDR);
    native.sendmsg(fd, msg, kernelAddr(), null, 0);
    const out: NetlinkMessage[] = [];
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    for (;;) {
      const r = native.recvmsg(fd, RECV_BUF, 0, 0);
      const b = r.data;
      for (let off = 0; off + HDR <= b.length;) {
        const len = b.readUInt32LE(off);
        if (len < HDR || off + len > b.length) throw new SysError(71 /* EPROTO */, `${what}: netlink reply`);
        const mtype = b.readUInt16LE(off + 4);
        const body = b.subarray(off + HDR, off + len);
        if (mtype === NLMSG_DONE) return out;
        if (mtype === NLMSG_ERROR) {
          const err = -body.readInt32LE(0);
          if (err === 0) return out;
          throw new SysError(err, what);
        }
        out.push({ type: mtype, flags: b.readUInt16LE(off + 6), payload: Buffer.from(body) });
        off += align4(len);
      }
      if (!dump && out.length > 0) return out;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The route attributes (struct rtattr / nlattr) following a fixed header: type -> payload. */
export function parseAttrs(b: Buffer, start: number): Map<number, Buffer> {
  const attrs = new Map<number, Buffer>();
  for (let off = start; off + 4 <= b.length;) {
    const len = b.readUInt16LE(off);
    if (len < 4) break;
    attrs.set(b.readUInt16LE(off + 2) & 0x3fff, b.subarray(off + 4, off + len));
    off += align4(len);
  }
  return attrs;
}
