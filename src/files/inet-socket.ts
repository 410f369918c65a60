/**
 * IPv4 and IPv6 sockets (inet_sk_entry in files.img): TCP listeners and unconnected sockets, UDP
 * (bound, connected, with queued datagrams in sk-queues.img), raw and ping sockets. Established
 * TCP connections go through TCP repair (src/soccr) with --tcp-established: their state is in
 * tcp-stream-INO.img, and while the tree is frozen and until it is restored the network lock
 * keeps their packets away. Restore: ./inet-socket-restore.ts.
 */
import * as fs from 'node:fs';
import { UnsupportedError } from '../errors';
import { Entry, SK_QUEUES_IMG, tcpStreamImg } from '../images';
import { dumpInetSockets, InetDiag } from '../net/sock-diag';
import { addrToWords, AF_INET, AF_INET6, formatInetAddress, inetSockaddr, InetAddress, parseInetSockaddr } from '../net/sockaddr';
import { dumpSockOpts } from '../net/sk-opts';
import { peekQueue, queuedBytes } from '../net/socket-queue';
import { getIntOptional, getIntsOptional, SOL_IP, SOL_IPV6 } from '../net/sockopt';
import { native } from '../native';
import * as soccr from '../soccr';
import { lockConnections, LockedConnection, unlockConnections } from '../net/network-lock';
import { isSocket, memo, socketInfo } from './socket-info';
import { FdType, FileDumpContext, FileKind, NO_FOWN, OpenFd } from './types';
import { inetSocketFd } from './inet-socket-restore';
import { dumpTcpOpts } from './tcp-opts';
import { openFdsOf } from './fd-table';
import { dumpIntOpts } from '../net/int-opts';


const O_CLOEXEC = 0o2000000;
export const IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_ICMPV6 = 58, IPPROTO_UDPLITE = 136;
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3;
export const TCP_ESTABLISHED = 1, TCP_SYN_SENT = 2, TCP_SYN_RECV = 3, TCP_CLOSE = 7, TCP_LISTEN = 10;
const IP_TOS = 1, IP_TTL = 2, IP_HDRINCL = 3, IP_PKTINFO = 8, IP_FREEBIND = 15, IP_NODEFRAG = 22;
const IPV6_V6ONLY = 26, IPV6_FREEBIND = 78, IPV6_CHECKSUM = 7, SOL_RAW = 255;

const where = (f: OpenFd) => `fd ${f.fd} (${f.link})`;

interface Repaired {
  sfd: number;
  conn: LockedConnection;
  state: soccr.TcpConnState;
  entry?: Entry;
  /** Both ends in the tree, the other one still in a listener's backlog: connected anew at restore. */
  reconnect?: boolean;
}

interface Listener {
  f: OpenFd;
  sfd: number;
  d: InetDiag;
  local: InetAddress;
}

interface TcpDumpState {
  repaired: Repaired[];
  listeners: Listener[];
  locked: LockedConnection[];
}

/**
 * The established connections of the tree, from the kernel's table and the tree's fds: each is
 * locked before any is paused, since a paused socket still receives and acks, and bytes acked
 * after its queues are read would be lost to the restored connection. That holds for a
 * connection with both ends in the tree too (listed once): its ends are read one after the
 * other, and what one sent to the other in between was in neither image (transition_tcp_stream
 * lost 21 KiB so under load).
 */
function treeConnections(ctx: FileDumpContext): LockedConnection[] {
  const inTree = new Set<number>();
  // The fd tables are read once per dump (openFdsOf): the fd table's dump reads them again.
  for (const pid of ctx.treePids) {
    for (const f of openFdsOf(pid, ctx)) if (f.link.startsWith('socket:[')) inTree.add(f.stat.ino);
  }
  const out: LockedConnection[] = [];
  for (const family of [AF_INET, AF_INET6]) {
    const all = dumpInetSockets(family, IPPROTO_TCP);
    const conns = all.filter((d) => d.state !== TCP_LISTEN && d.state !== TCP_CLOSE);
    const key = (addr: Buffer, port: number, addr2: Buffer, port2: number) => `${addr.toString('hex')}:${port}-${addr2.toString('hex')}:${port2}`;
    const held = new Set(conns.filter((d) => inTree.has(d.ino)).map((d) => key(d.src, d.srcPort, d.dst, d.dstPort)));
    // A connection waiting in the accept queue of one of the tree's listeners has no inode yet:
    // restore connects its client again (takeBacklog), which a lock would hold up.
    const listening = new Set(all.filter((d) => d.state === TCP_LISTEN && inTree.has(d.ino)).map((d) => d.srcPort));
    const waiting = new Set(conns.filter((d) => d.ino === 0 && listening.has(d.srcPort)).map((d) => key(d.src, d.srcPort, d.dst, d.dstPort)));
    for (const d of conns) {
      if (!inTree.has(d.ino) || waiting.has(key(d.dst, d.dstPort, d.src, d.srcPort))) continue;
      // Both ends held by the tree: once, from the end whose key sorts first.
      const mine = key(d.src, d.srcPort, d.dst, d.dstPort), peer = key(d.dst, d.dstPort, d.src, d.srcPort);
      if (held.has(peer) && peer < mine) continue;
      const ep = (addr: Buffer, port: number) => soccr.parseSockaddr(inetSockaddr({ family, addr, port })).endpoint;
      out.push({ family, local: ep(d.src, d.srcPort), remote: ep(d.dst, d.dstPort) });
    }
  }
  return out;
}

/** Per dump: the connections put in repair mode (released with the tree), the listeners, the lock. */
function tcpState(ctx: FileDumpContext): TcpDumpState {
  return memo(ctx, 'tcp', () => {
    const st: TcpDumpState = { repaired: [], listeners: [], locked: [] };
    if (ctx.sockets.tcpEstablished) {
      st.locked = treeConnections(ctx);
      lockConnections(ctx.sockets.networkLock, ctx.rootPid, st.locked, ctx.log);
    }
    ctx.onFinish(() => {
      for (const l of st.listeners) takeBacklog(l, st, ctx);
    });
    ctx.onRelease((killed) => {
      if (killed) return; // the lock stays until restore; the sockets close in repair mode, silently
      for (const r of st.repaired) soccr.resume(r.sfd);
      unlockConnections(ctx.sockets.networkLock, ctx.rootPid, st.locked, ctx.log);
    });
    return st;
  });
}

const sameEndpoint = (a: { address: string; port: number }, b: { address: string; port: number }) => a.port === b.port && a.address === b.address;

/**
 * Connections waiting in a listener's accept queue are whole sockets that only accept() reaches.
 * When their clients are in the tree, the dump accepts them from its duplicate of the listener and
 * keeps the bytes they received; restore has each client connect again, in the same order, and
 * send those bytes anew. Nothing can be put back into an accept queue, so with -R this is refused,
 * and it is the dump's last step before the kill. A client outside the tree is refused too.
 */
function takeBacklog(l: Listener, st: TcpDumpState, ctx: FileDumpContext): void {
  const pending = l.d.rqueue;
  if (pending === 0) return;
  const name = formatInetAddress(l.local);
  if (ctx.sockets.skipInFlight) {
    ctx.log.warn(`${where(l.f)}: ${pending} connections waiting on ${name} are left out (--skip-in-flight)`);
    return;
  }
  if (ctx.leaveRunning) throw new UnsupportedError(l.f.pid, where(l.f), `TCP listener ${name} has ${pending} connections not accepted yet, which only accepting reads: dump without -R/--leave-running (or with --skip-in-flight)`);
  // Which sockets wait: established, on the listener's port, held by no file (no inode).
  const table = dumpInetSockets(l.local.family, 6);
  const waiting = table.filter((d) => d.ino === 0 && d.state === TCP_ESTABLISHED && d.srcPort === l.local.port);
  for (const w of waiting) {
    const from = soccr.parseSockaddr(inetSockaddr({ family: l.local.family, addr: w.dst, port: w.dstPort })).endpoint;
    if (!st.repaired.some((r) => sameEndpoint(r.conn.local, from))) {
      throw new UnsupportedError(l.f.pid, where(l.f), `TCP listener ${name} has a connection not accepted yet from ${from.address}:${from.port}, outside the dumped tree`);
    }
  }
  for (let pos = 0; pos < pending; pos++) {
    const afd = native.accept4(l.sfd, O_CLOEXEC | 0o4000 /* SOCK_NONBLOCK */);
    const peer = soccr.parseSockaddr(native.getpeername(afd)).endpoint;
    soccr.pause(afd); // closed after the kill without a word to the client, which is gone too
    ctx.onRelease(() => fs.closeSync(afd));
    const client = st.repaired.find((r) => sameEndpoint(r.conn.local, peer));
    if (!client?.entry) throw new UnsupportedError(l.f.pid, where(l.f), `accepted a waiting connection of ${name} from ${peer.address}:${peer.port}, which is not in the tree`);
    if (client.state.recv.data.length) throw new UnsupportedError(l.f.pid, where(l.f), `the client ${peer.address}:${peer.port} of a connection waiting on ${name} has data to read`);
    const received = soccr.save(afd).recv.data;
    client.reconnect = true;
    client.entry.isk.reconnect = { backlog_pos: pos, data: Buffer.concat([received, client.state.send.data]) };
    ctx.log.info(`${where(l.f)}: connection ${pos} waiting on ${name} from ${peer.address}:${peer.port} taken from the backlog with ${received.length} bytes`);
  }
}

function diagOf(f: OpenFd, family: number, protocol: number, ctx: FileDumpContext): InetDiag | undefined {
  const table = memo(ctx, `inet-diag:${family}:${protocol}`, () => new Map(dumpInetSockets(family, protocol).map((d) => [d.ino, d])));
  return table.get(f.stat.ino);
}

function peerOf(fd: number): InetAddress | undefined {
  try {
    return parseInetSockaddr(native.getpeername(fd));
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOTCONN') return undefined;
    throw e;
  }
}

function ipOpts(fd: number, family: number, type: number, protocol: number): Entry {
  const v4 = family === AF_INET;
  let o: Entry;
  if (v4) {
    const [freebind, tos, ttl, pktinfo] = getIntsOptional(fd, SOL_IP, [IP_FREEBIND, IP_TOS, IP_TTL, IP_PKTINFO]);
    o = { freebind: (freebind ?? 0) !== 0, tos: tos ?? 0, ttl: ttl ?? 0, pktinfo: (pktinfo ?? 0) !== 0 };
  } else {
    o = { freebind: (getIntOptional(fd, SOL_IPV6, IPV6_FREEBIND) ?? 0) !== 0 };
  }
  if (type === SOCK_RAW) {
    o.raw = { hdrincl: (getIntOptional(fd, SOL_IP, IP_HDRINCL) ?? 0) !== 0, nodefrag: v4 ? (getIntOptional(fd, SOL_IP, IP_NODEFRAG) ?? 0) !== 0 : false };
    if (!v4) o.raw.checksum = (getIntOptional(fd, SOL_IPV6, IPV6_CHECKSUM) ?? -1) >= 0;
    if (v4 && protocol === IPPROTO_ICMP) {
      const filt = native.getsockopt(fd, SOL_RAW, 1 /* ICMP_FILTER */, 4);
      o.raw.icmpv_filter = [filt.readUInt32LE(0)];
    }
  }
  return o;
}

function dumpEstablished(f: OpenFd, sfd: number, d: InetDiag | undefined, local: InetAddress, remote: InetAddress, ctx: FileDumpContext): Repaired {
  const desc = `TCP connection ${formatInetAddress(local)} -> ${formatInetAddress(remote)}`;
  if (!ctx.sockets.tcpEstablished) {
    throw new UnsupportedError(f.pid, where(f), `${desc} is established: dump with --tcp-established to carry it`);
  }
  const st = tcpState(ctx);
  soccr.pause(sfd);
  let saved: soccr.TcpConnState;
  try {
    saved = soccr.save(sfd);
  } catch (e) {
    soccr.resume(sfd);
    throw new UnsupportedError(f.pid, where(f), `${desc}: ${(e as Error).message}`);
  }
  const r: Repaired = { sfd, conn: { family: saved.family, local: saved.local, remote: saved.remote }, state: saved };
  st.repaired.push(r);
  const entry = soccr.toTcpStreamEntry(saved);
  ctx.addImageEntry(tcpStreamImg(f.stat.ino), 'TCP_STREAM', entry as unknown as Entry);
  ctx.log.debug(`${where(f)}: ${desc} in state ${d?.state ?? saved.state}: ${saved.recv.data.length} bytes to read, ${saved.send.data.length} to send`);
  return r;
}

/** Datagrams waiting to be read, with their senders' addresses. */
function dumpDatagrams(f: OpenFd, id: number, sfd: number, ctx: FileDumpContext): void {
  const packets = peekQueue(sfd, 0, 'dgram', false, false, `task ${f.pid} ${where(f)}`);
  for (const p of packets) {
    ctx.addImageEntry(SK_QUEUES_IMG, 'SK_QUEUES', { id_for: id, length: p.data.length, scm: [], addr: p.addr, extra: p.data });
  }
  if (packets.length) ctx.log.debug(`${where(f)}: ${packets.length} datagrams queued`);
}

export const inetSocket: FileKind = {
  name: 'inet socket',
  type: FdType.INETSK,
  matches: (f: OpenFd, ctx: FileDumpContext) => {
    if (!isSocket(f)) return false;
    const fam = socketInfo(f, ctx).family;
    return fam === AF_INET || fam === AF_INET6;
  },
  dump(f: OpenFd, id: number, ctx) {
    const { fd: sfd, family, type, protocol } = socketInfo(f, ctx);
    const tcp = type === SOCK_STREAM && protocol === IPPROTO_TCP;
    const udp = type === SOCK_DGRAM && (protocol === IPPROTO_UDP || protocol === IPPROTO_UDPLITE);
    const ping = type === SOCK_DGRAM && (protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6);
    if (!tcp && !udp && !ping && type !== SOCK_RAW) {
      throw new UnsupportedError(f.pid, where(f), `inet socket of type ${type}, protocol ${protocol} is not supported`);
    }
    const d = tcp || udp ? diagOf(f, family, protocol, ctx) : undefined;
    const local = parseInetSockaddr(native.getsockname(sfd));
    const remote = peerOf(sfd);
    let state = d?.state ?? (remote ? TCP_ESTABLISHED : TCP_CLOSE);
    if (tcp && state === TCP_LISTEN && d) tcpState(ctx).listeners.push({ f, sfd, d, local });
    let repaired: Repaired | undefined;
    if (tcp && (state === TCP_SYN_SENT || state === TCP_SYN_RECV)) {
      if (!ctx.sockets.skipInFlight) throw new UnsupportedError(f.pid, where(f), `TCP connection ${formatInetAddress(local)} is still being set up (dump with --skip-in-flight to restore it closed)`);
      state = TCP_CLOSE;
    } else if (tcp && state !== TCP_LISTEN && state !== TCP_CLOSE && remote) {
      repaired = dumpEstablished(f, sfd, d, local, remote, ctx);
    }
    if (udp) dumpDatagrams(f, id, sfd, ctx);
    else if (!tcp && queuedBytes(sfd) > 0) {
      throw new UnsupportedError(f.pid, where(f), `${type === SOCK_RAW ? 'raw' : 'ping'} socket has ${queuedBytes(sfd)} bytes of packets waiting to be read, which amber does not carry`);
    }
    const isk: Entry = {
      id, ino: f.stat.ino, family, type, proto: protocol, state,
      src_port: local.port, dst_port: remote?.port ?? 0,
      flags: f.info.flags & ~O_CLOEXEC, backlog: state === TCP_LISTEN ? d?.wqueue ?? 0 : 0,
      // One word for IPv4, four for IPv6, both always (zeros when unconnected): CRIU refuses other counts.
      src_addr: familyWords(local.addr, family), dst_addr: familyWords(remote?.addr, family),
      fown: NO_FOWN, opts: dumpSockOpts(sfd, { tcp, tcpIdle: tcp && (state === TCP_LISTEN || state === TCP_CLOSE) }), ip_opts: ipOpts(sfd, family, type, protocol),
      // Only when shut down: CRIU's restore calls shutdown(2) whenever the field is there.
      shutdown: d?.shutdown || undefined, owner_pid: f.pid === process.pid ? 0 : f.pid, int_opts: dumpIntOpts(sfd, family, type),
    };
    if (family === AF_INET6) isk.v6only = (getIntOptional(sfd, SOL_IPV6, IPV6_V6ONLY) ?? 0) !== 0;
    if (family === AF_INET6 && type === SOCK_RAW && protocol === IPPROTO_ICMPV6) isk.icmp6_filter = native.getsockopt(sfd, 58 /* SOL_ICMPV6 */, 1 /* ICMP6_FILTER */, 32);
    if (tcp) isk.tcp_opts = dumpTcpOpts(sfd);
    if (isk.opts.so_bound_dev) isk.ifname = isk.opts.so_bound_dev;
    if (repaired) repaired.entry = { isk };
    return { type: FdType.INETSK, id, isk };
  },
  open(entry, ctx) {
    return { fd: native.fcntl(inetSocketFd(entry, ctx), 1030 /* F_DUPFD_CLOEXEC */, 0) };
  },
};

/** An address as sk-inet.proto words: as many as the family's address has (1 for IPv4, 4 for IPv6). */
function familyWords(addr: Buffer | undefined, family: number): number[] {
  const words = family === AF_INET6 ? 4 : 1;
  const b = Buffer.alloc(words * 4);
  addr?.copy(b, 0, 0, Math.min(addr.length, b.length));
  return addrToWords(b);
}
