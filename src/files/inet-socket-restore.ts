/**
 * Restore of every inet socket of the images at once: listeners first (so an established
 * connection on the same port, bound in repair mode, never takes the port from them), then the
 * others. Repaired connections leave repair mode, queued datagrams are sent again and the network
 * lock is lifted just before the tree runs.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { AmberError, ImageError, SysError } from '../errors';
import { Entry, FILES_IMG, readImageOptional, SK_QUEUES_IMG, tcpStreamImg } from '../images';
import { AF_INET, AF_INET6, formatInetAddress, inetSockaddr, InetAddress, parseInetSockaddr, wordsToAddr } from '../net/sockaddr';
import { restoreSockOpts } from '../net/sk-opts';
import { getInt, setInt, SO, SOL_IP, SOL_IPV6, SOL_SOCKET } from '../net/sockopt';
import { lockConnections, unlockConnections, LockedConnection } from '../net/network-lock';
import * as soccr from '../soccr';
import { FdType, FileRestoreContext } from './types';
import { newSocketTcpOpts, repairedTcpOpts, restoreTcpOpts } from './tcp-opts';
import { restoreIntOpts } from '../net/int-opts';
import { mutated } from '../mutant';
import { isInherited } from './external';

const SOCK_CLOEXEC = 0o2000000, O_NONBLOCK = 0o4000, F_SETFL = 4;
const IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_UDPLITE = 136, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3;
const TCP_ESTABLISHED = 1, TCP_CLOSE = 7, TCP_LISTEN = 10;
const IP_TOS = 1, IP_TTL = 2, IP_HDRINCL = 3, IP_PKTINFO = 8, IP_FREEBIND = 15, IP_NODEFRAG = 22;
const IPV6_V6ONLY = 26, IPV6_FREEBIND = 78, IPV6_CHECKSUM = 7, SOL_RAW = 255;
const MSG_DONTWAIT = 0x40;
const SOL_TCP = 6, TCP_INFO = 11;
const SOL_ICMPV6 = 58, ICMP6_FILTER = 1;
const REPAIRED_TCP_OPTS = new Set(['nodelay', 'cork', 'maxseg']);
/** The MSS an established connection reads back was negotiated, not set: a new connection negotiates it again. */
const NEGOTIATED_TCP_OPTS = new Set(['maxseg']);

interface Repaired {
  fd: number;
  conn: LockedConnection;
  reuseaddr: boolean;
}

interface InetSockets {
  fds: Map<number, number>;
  entries: Entry[];
}

const localOf = (e: Entry): InetAddress => ({ family: e.family, addr: wordsToAddr(e.src_addr, e.family), port: e.src_port });
const remoteOf = (e: Entry): InetAddress => ({ family: e.family, addr: wordsToAddr(e.dst_addr, e.family), port: e.dst_port });
const isAny = (a: InetAddress) => a.addr.every((b) => b === 0);
const isTcp = (e: Entry) => e.type === SOCK_STREAM && e.proto === IPPROTO_TCP;
const isConnection = (e: Entry) => isTcp(e) && e.state !== TCP_LISTEN && e.state !== TCP_CLOSE;

function fail(e: Entry, why: string, cause?: unknown): never {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  throw new ImageError(FILES_IMG, e.id, `inet socket ${formatInetAddress(localOf(e))} (socket:[${e.ino}]): ${why}${detail}`, { cause });
}

function setIpOpts(fd: number, e: Entry): void {
  restoreIntOpts(fd, e.int_opts);
  const o = e.ip_opts ?? {};
  const v4 = e.family === AF_INET;
  // Only where it differs: raw sockets have their port (the protocol) from the start and refuse it.
  if (!v4 && getInt(fd, SOL_IPV6, IPV6_V6ONLY) !== (e.v6only ? 1 : 0)) setInt(fd, SOL_IPV6, IPV6_V6ONLY, e.v6only ? 1 : 0);
  if (!v4 && e.icmp6_filter?.length) native.setsockopt(fd, SOL_ICMPV6, ICMP6_FILTER, Buffer.from(e.icmp6_filter));
  if (o.freebind) setInt(fd, v4 ? SOL_IP : SOL_IPV6, v4 ? IP_FREEBIND : IPV6_FREEBIND, 1);
  if (v4 && o.tos) setInt(fd, SOL_IP, IP_TOS, o.tos);
  if (v4 && o.ttl && o.ttl !== 64) setInt(fd, SOL_IP, IP_TTL, o.ttl);
  if (v4 && o.pktinfo) setInt(fd, SOL_IP, IP_PKTINFO, 1);
  if (e.type === SOCK_RAW && o.raw) {
    if (o.raw.hdrincl) setInt(fd, SOL_IP, IP_HDRINCL, 1);
    if (v4 && o.raw.nodefrag) setInt(fd, SOL_IP, IP_NODEFRAG, 1);
    if (o.raw.icmpv_filter?.length) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(o.raw.icmpv_filter[0] >>> 0);
      native.setsockopt(fd, SOL_RAW, 1, b);
    }
  }
}

function makeOne(e: Entry, ctx: FileRestoreContext, repaired: Repaired[]): number {
  const fd = native.socket(e.family, e.type | SOCK_CLOEXEC, e.proto);
  try {
    setIpOpts(fd, e);
    if (e.reconnect && !ctx.sockets.tcpClose) {
      // Its other end was waiting in a listener's backlog: connect again and resend what was in flight.
      restoreSockOpts(fd, e.opts, { tcp: true });
      restoreTcpOpts(fd, e.tcp_opts, newSocketTcpOpts(e.family, ctx.shared), NEGOTIATED_TCP_OPTS);
      const reuse = e.opts.reuseaddr;
      if (!reuse) setInt(fd, SOL_SOCKET, SO.REUSEADDR, 1);
      native.bind(fd, inetSockaddr(localOf(e)));
      connectWithin(fd, inetSockaddr(remoteOf(e)), RECONNECT_MS, e);
      if (!reuse) setInt(fd, SOL_SOCKET, SO.REUSEADDR, 0);
      const data: Buffer = e.reconnect.data ?? Buffer.alloc(0);
      if (data.length && native.sendmsg(fd, data, null, null, MSG_DONTWAIT) !== data.length) fail(e, `cannot send the ${data.length} bytes it had in flight again`);
    } else if (isConnection(e) && !ctx.sockets.tcpClose) {
      const stream = readImageOptional(ctx.imagesDir, tcpStreamImg(e.ino), 'TCP_STREAM');
      if (!stream?.length) throw new ImageError(tcpStreamImg(e.ino), undefined, `missing: the established connection of socket:[${e.ino}] has no state`);
      const local = localOf(e), remote = remoteOf(e);
      const ep = (a: InetAddress) => soccr.parseSockaddr(inetSockaddr(a)).endpoint;
      let state: soccr.TcpConnState;
      try {
        state = soccr.fromTcpStreamEntry(stream[0] as unknown as soccr.TcpStreamEntry, { family: e.family, state: e.state, local: ep(local), remote: ep(remote) });
      } catch (err) {
        throw new ImageError(tcpStreamImg(e.ino), 0, (err as Error).message, { cause: err });
      }
      restoreSockOpts(fd, e.opts, { tcp: true });
      soccr.restore(fd, state);
      restoreTcpOpts(fd, e.tcp_opts, repairedTcpOpts(fd, e.family, ctx.shared), REPAIRED_TCP_OPTS);
      repaired.push({ fd, conn: { family: e.family, local: ep(local), remote: ep(remote) }, reuseaddr: !!e.opts.reuseaddr });
    } else {
      restoreSockOpts(fd, e.opts, { tcp: isTcp(e) });
      if (isTcp(e)) restoreTcpOpts(fd, e.tcp_opts, newSocketTcpOpts(e.family, ctx.shared));
      const local = localOf(e);
      if ((local.port !== 0 || !isAny(local)) && !(isConnection(e) && ctx.sockets.tcpClose)) native.bind(fd, inetSockaddr(local));
      if (e.state === TCP_LISTEN) native.listen(fd, e.backlog);
      else if (!isTcp(e) && e.state === TCP_ESTABLISHED) native.connect(fd, inetSockaddr(remoteOf(e)));
      for (const [bit, how] of [[1, 0], [2, 1]] as const) {
        if (!isTcp(e) && (e.shutdown ?? 0) & bit) {
          try { native.shutdown(fd, how); } catch (err) { if (!(err instanceof SysError && err.code === 'ENOTCONN')) throw err; }
        }
      }
    }
    if (e.flags & O_NONBLOCK) native.fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
  } catch (err) {
    fs.closeSync(fd);
    if (err instanceof ImageError) throw err;
    fail(e, 'cannot make it again', err);
  }
}

const RECONNECT_MS = 5000;

/** connect(), not waiting longer than ms for the handshake (a listener that never answers). */
function connectWithin(fd: number, addr: Buffer, ms: number, e: Entry): void {
  native.fcntl(fd, F_SETFL, O_NONBLOCK);
  try {
    native.connect(fd, addr);
  } catch (err) {
    if (!(err instanceof SysError && err.code === 'EINPROGRESS')) throw err;
    const deadline = Date.now() + ms;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (native.getsockopt(fd, SOL_TCP, TCP_INFO, 8)[0] !== TCP_ESTABLISHED) {
      const soErr = getInt(fd, SOL_SOCKET, SO.ERROR);
      if (soErr) fail(e, `connecting to ${formatInetAddress(remoteOf(e))} again failed`, new SysError(soErr, 'connect'));
      if (Date.now() > deadline) fail(e, `connecting to ${formatInetAddress(remoteOf(e))} again took more than ${ms} ms`);
      Atomics.wait(pause, 0, 0, 1);
    }
  }
  native.fcntl(fd, F_SETFL, 0);
}

/** The address a datagram for e is sent to: its own, with loopback for a wildcard. */
function destinationOf(e: Entry): Buffer {
  const a = localOf(e);
  if (isAny(a)) a.addr = e.family === AF_INET ? Buffer.from([127, 0, 0, 1]) : Buffer.from('00000000000000000000000000000001', 'hex');
  return inetSockaddr(a);
}

function refillDatagrams(s: InetSockets, ctx: FileRestoreContext): void {
  if (mutated('skip-udp-queues')) return;
  const packets = (readImageOptional(ctx.imagesDir, SK_QUEUES_IMG, 'SK_QUEUES') ?? []).filter((p) => s.fds.has(p.id_for));
  const temps: number[] = [];
  try {
    packets.forEach((p, i) => {
      const r = s.entries.find((e) => e.id === p.id_for)!;
      if (r.proto !== IPPROTO_UDP && r.proto !== IPPROTO_UDPLITE) throw new ImageError(SK_QUEUES_IMG, i, `queued packets of a raw or ping socket:[${r.ino}] are not carried`);
      const from = p.addr?.length ? parseInetSockaddr(Buffer.from(p.addr)) : undefined;
      const sender = from && s.entries.find((e) => e !== r && e.family === r.family && e.type === SOCK_DGRAM && e.src_port === from.port && localOf(e).addr.equals(from.addr));
      let fd = sender ? s.fds.get(sender.id)! : undefined;
      if (fd === undefined) {
        fd = native.socket(r.family, SOCK_DGRAM | SOCK_CLOEXEC, r.proto);
        temps.push(fd);
        if (from) {
          try {
            setInt(fd, SOL_SOCKET, SO.REUSEADDR, 1);
            native.bind(fd, inetSockaddr(from));
          } catch (err) {
            ctx.log.warn(`${SK_QUEUES_IMG} entry ${i}: cannot send from ${formatInetAddress(from)} again (${(err as Error).message}); the datagram comes from another port`);
          }
        }
      }
      const data: Buffer = p.extra ?? Buffer.alloc(0);
      try {
        native.sendmsg(fd, data, destinationOf(r), null, MSG_DONTWAIT);
      } catch (err) {
        throw new ImageError(SK_QUEUES_IMG, i, `cannot queue a datagram of ${data.length} bytes on socket:[${r.ino}] again`, { cause: err });
      }
    });
  } finally {
    for (const fd of temps) fs.closeSync(fd);
  }
}

function plan(ctx: FileRestoreContext): InetSockets {
  const have = ctx.shared.get('inet-sockets') as InetSockets | undefined;
  if (have) return have;
  const s: InetSockets = { fds: new Map(), entries: [] };
  ctx.shared.set('inet-sockets', s);
  ctx.onCleanup(() => { for (const fd of s.fds.values()) { try { fs.closeSync(fd); } catch { /* closed */ } } });
  // A socket the caller passes (--inherit-fd) is not made here.
  s.entries = [...ctx.files.values()].filter((f) => f.type === FdType.INETSK && f.isk && !isInherited(f, ctx)).map((f) => f.isk);
  // Listeners, then connections that wait in their backlogs (in order), then the rest.
  const rank = (e: Entry) => (e.state === TCP_LISTEN ? 0 : e.reconnect ? 1 : 2);
  const ordered = [...s.entries].sort((a, b) => rank(a) - rank(b) || (a.reconnect?.backlog_pos ?? 0) - (b.reconnect?.backlog_pos ?? 0));
  const repaired: Repaired[] = [];
  // A failed restore lets the lock go too: the connections are lost then, and their peers should
  // hear so rather than wait. (A lock already lifted is not there to find.)
  // Every connection to be repaired is locked while the others are rebuilt: writing a send queue's
  // unsent part runs the connection briefly, and its first segments must not meet a peer socket
  // that does not exist yet (a reset). Dropped, they are sent again once the lock is lifted.
  const toRepair = ctx.sockets.tcpClose ? [] : s.entries.filter((e) => isConnection(e) && !e.reconnect);
  if (toRepair.length) {
    const ep = (a: InetAddress) => soccr.parseSockaddr(inetSockaddr(a)).endpoint;
    lockConnections(ctx.sockets.networkLock, ctx.rootPid, toRepair.map((e) => ({ family: e.family, local: ep(localOf(e)), remote: ep(remoteOf(e)) })), ctx.log);
  }
  ctx.onCleanup(() => { if (toRepair.length || repaired.length) unlockConnections(ctx.sockets.networkLock, ctx.rootPid, repaired.map((r) => r.conn), ctx.log); });
  for (const e of ordered) s.fds.set(e.id, makeOne(e, ctx, repaired));
  ctx.onResume(() => {
    refillDatagrams(s, ctx);
    for (const r of repaired) {
      soccr.resume(r.fd);
      // Leaving repair mode clears SO_REUSEADDR (repair forced port reuse): the program's own value again.
      setInt(r.fd, SOL_SOCKET, SO.REUSEADDR, r.reuseaddr ? 1 : 0);
    }
    if (repaired.length) unlockConnections(ctx.sockets.networkLock, ctx.rootPid, repaired.map((r) => r.conn), ctx.log);
  });
  return s;
}

/** The restorer's fd of the inet socket of this file entry (made with all the others on first use). */
export function inetSocketFd(entry: Entry, ctx: FileRestoreContext): number {
  const fd = plan(ctx).fds.get(entry.isk.id);
  if (fd === undefined) throw new AmberError(`inet socket socket:[${entry.isk.ino}] (file id ${entry.id}) was not made`);
  return fd;
}
