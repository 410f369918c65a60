/**
 * NETLINK_SOCK_DIAG: what the kernel tells about every socket of this network namespace that no
 * getsockopt shows (unix peers, pending connections, queue lengths, bound files, shutdown state,
 * listen backlogs). One dump per family and protocol, indexed by inode.
 */
import { netlinkRequest, NLM_F_DUMP, parseAttrs } from './netlink';
import { AF_INET, AF_INET6, AF_UNIX } from './sockaddr';

const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;

const UDIAG_SHOW_NAME = 0x01, UDIAG_SHOW_VFS = 0x02, UDIAG_SHOW_PEER = 0x04, UDIAG_SHOW_ICONS = 0x08;
const UDIAG_SHOW_RQLEN = 0x10, UDIAG_SHOW_UID = 0x40;
const UNIX_DIAG_NAME = 0, UNIX_DIAG_VFS = 1, UNIX_DIAG_PEER = 2, UNIX_DIAG_ICONS = 3, UNIX_DIAG_RQLEN = 4;
const UNIX_DIAG_SHUTDOWN = 6, UNIX_DIAG_UID = 7;

export interface UnixDiag {
  ino: number;
  type: number;
  /** TCP_ESTABLISHED (1), TCP_CLOSE (7) or TCP_LISTEN (10). */
  state: number;
  /** As bound: a path with its terminating NUL, or an abstract name starting with NUL. */
  name?: Buffer;
  /** The socket file a path name created: its inode and device. */
  vfs?: { ino: number; dev: number };
  peer: number;
  /** Listeners: inodes of the connections waiting to be accepted. */
  icons: number[];
  /** Listeners: [pending connections, backlog]; others: [bytes to read, bytes sent unread]. */
  rqueue: number;
  wqueue: number;
  shutdown: number;
  uid?: number;
}

export function dumpUnixSockets(): Map<number, UnixDiag> {
  const req = Buffer.alloc(24);
  req.writeUInt8(AF_UNIX, 0);
  req.writeUInt32LE(0xffffffff, 4);
  req.writeUInt32LE(UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID, 12);
  req.writeUInt32LE(0xffffffff, 16);
  req.writeUInt32LE(0xffffffff, 20);
  const out = new Map<number, UnixDiag>();
  for (const m of netlinkRequest(NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, req, 'sock_diag (unix sockets)')) {
    out.set(m.payload.readUInt32LE(4), parseUnixDiag(m.payload));
  }
  return out;
}

export function parseUnixDiag(p: Buffer): UnixDiag {
  const attrs = parseAttrs(p, 16);
  const d: UnixDiag = {
    type: p.readUInt8(1), state: p.readUInt8(2), ino: p.readUInt32LE(4),
    peer: 0, icons: [], rqueue: 0, wqueue: 0, shutdown: 0,
  };
  const name = attrs.get(UNIX_DIAG_NAME);
  if (name) d.name = Buffer.from(name);
  const vfs = attrs.get(UNIX_DIAG_VFS);
  if (vfs && vfs.length >= 8) d.vfs = { ino: vfs.readUInt32LE(0), dev: vfs.readUInt32LE(4) };
  const peer = attrs.get(UNIX_DIAG_PEER);
  if (peer && peer.length >= 4) d.peer = peer.readUInt32LE(0);
  const icons = attrs.get(UNIX_DIAG_ICONS);
  if (icons) for (let i = 0; i + 4 <= icons.length; i += 4) d.icons.push(icons.readUInt32LE(i));
  const rq = attrs.get(UNIX_DIAG_RQLEN);
  if (rq && rq.length >= 8) { d.rqueue = rq.readUInt32LE(0); d.wqueue = rq.readUInt32LE(4); }
  const sh = attrs.get(UNIX_DIAG_SHUTDOWN);
  if (sh && sh.length >= 1) d.shutdown = sh.readUInt8(0);
  const uid = attrs.get(UNIX_DIAG_UID);
  if (uid && uid.length >= 4) d.uid = uid.readUInt32LE(0);
  return d;
}

export interface InetDiag {
  family: number;
  protocol: number;
  state: number;
  srcPort: number;
  dstPort: number;
  src: Buffer;
  dst: Buffer;
  ifindex: number;
  /** Listeners: pending connections and backlog; others: queued bytes. */
  rqueue: number;
  wqueue: number;
  uid: number;
  ino: number;
  shutdown: number;
}

const INET_DIAG_SHUTDOWN = 8;

/** Every socket of one protocol (IPPROTO_TCP, IPPROTO_UDP...) of one family, in every state. */
export function dumpInetSockets(family: number, protocol: number): InetDiag[] {
  const req = Buffer.alloc(56);
  req.writeUInt8(family, 0);
  req.writeUInt8(protocol, 1);
  req.writeUInt32LE(0xffffffff, 4);
  req.writeUInt32LE(0xffffffff, 48);
  req.writeUInt32LE(0xffffffff, 52);
  const len = family === AF_INET ? 4 : 16;
  return netlinkRequest(NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, req, `sock_diag (family ${family}, protocol ${protocol})`).map((m) => {
    const p = m.payload;
    const attrs = parseAttrs(p, 72);
    const sh = attrs.get(INET_DIAG_SHUTDOWN);
    return {
      family: p.readUInt8(0), protocol, state: p.readUInt8(1),
      srcPort: p.readUInt16BE(4), dstPort: p.readUInt16BE(6),
      src: Buffer.from(p.subarray(8, 8 + len)), dst: Buffer.from(p.subarray(24, 24 + len)),
      ifindex: p.readUInt32LE(40),
      rqueue: p.readUInt32LE(56), wqueue: p.readUInt32LE(60), uid: p.readUInt32LE(64), ino: p.readUInt32LE(68),
      shutdown: sh && sh.length ? sh.readUInt8(0) : 0,
    };
  });
}

export { AF_INET, AF_INET6 };
