/**
 * Unix sockets (unix_sk_entry in files.img, queued messages in sk-queues.img). At dump the kernel's
 * sock_diag table gives each socket's peer, name, bound file, pending connections and queue
 * lengths; the queues are peeked from a duplicate of the socket, fds in flight included. Peers are
 * checked once the whole tree is read: one outside the tree is refused unless --ext-unix-sk.
 * At restore every unix socket of the images is made at once (./unix-socket-restore.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import { UnsupportedError } from '../errors';
import { Entry, SK_QUEUES_IMG } from '../images';
import { dumpUnixSockets, UnixDiag } from '../net/sock-diag';
import { AF_UNIX, describeUnixName, unixPath } from '../net/sockaddr';
import { dumpSockOpts } from '../net/sk-opts';
import { peekQueue } from '../net/socket-queue';
import { SCM_RIGHTS } from '../net/cmsg';
import { getInt, SO, SOL_SOCKET } from '../net/sockopt';
import { isSocket, memo, socketInfo } from './socket-info';
import { openFdOf } from './fd-table';
import { FdType, FileDumpContext, FileKind, NO_FOWN, OpenFd } from './types';
import { unixSocketFd } from './unix-socket-restore';

const O_CLOEXEC = 0o2000000;
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5;
export const TCP_ESTABLISHED = 1, TCP_CLOSE = 7, TCP_LISTEN = 10;
/** CRIU's unix_sk_entry.uflags: the socket is outside the tree (its peer's name is what counts). */
export const USK_EXTERN = 1;
/** amber's own uflags bit: the kernel's half of a connection not accepted yet (no fd holds it). */
export const USK_EMBRYO = 0x10000;
const SIOCINQ = 0x541b, SOCK_NONBLOCK = 0o4000;

interface DumpedUnix {
  f: OpenFd;
  entry: Entry;
  diag: UnixDiag;
}

interface UnixDumpState {
  table: Map<number, UnixDiag>;
  dumped: Map<number, DumpedUnix>;
}

function state(ctx: FileDumpContext): UnixDumpState {
  return memo(ctx, 'unix', () => {
    const s: UnixDumpState = { table: dumpUnixSockets(), dumped: new Map() };
    ctx.onFinish(() => checkPeers(s, ctx));
    return s;
  });
}

const where = (f: OpenFd) => `fd ${f.fd} (${f.link})`;

/**
 * Where a relative name was bound: the kernel keeps only the name and the socket file's inode, so
 * the directory is searched for near the task: its cwd, the cwd's parent and siblings, and the
 * directories it holds open. Undefined when none of them holds that socket file.
 */
function findNameDir(pid: number, rel: string, ino: number): string | undefined {
  const proc = `/proc/${pid === process.pid ? 'self' : pid}`;
  const cwd = fs.readlinkSync(`${proc}/cwd`);
  const candidates = [cwd, path.dirname(cwd)];
  try {
    for (const e of fs.readdirSync(path.dirname(cwd), { withFileTypes: true })) if (e.isDirectory()) candidates.push(path.join(path.dirname(cwd), e.name));
  } catch { /* unreadable parent */ }
  for (const fd of fs.readdirSync(`${proc}/fd`)) {
    try {
      const l = fs.readlinkSync(`${proc}/fd/${fd}`);
      if (l.startsWith('/') && fs.statSync(l).isDirectory()) candidates.push(l);
    } catch { /* gone or not a path */ }
  }
  return candidates.find((dir) => {
    try { return fs.lstatSync(path.join(dir, rel)).ino === ino; } catch { return false; }
  });
}

/** The name's directory (relative names) and whether the bound file is still the socket's. */
function nameFacts(f: OpenFd, d: UnixDiag): Entry {
  const p = d.name ? unixPath(d.name) : undefined;
  if (p === undefined) return {};
  const out: Entry = {};
  let abs = p;
  if (!path.isAbsolute(p)) {
    const dir = d.vfs ? findNameDir(f.pid, p, d.vfs.ino) : undefined;
    if (!dir) throw new UnsupportedError(f.pid, where(f), `unix socket bound to the relative name ${p}: its directory is not the cwd nor near it, and the socket file is gone`);
    out.name_dir = dir;
    abs = path.join(dir, p);
  }
  let st: fs.Stats | undefined;
  try { st = fs.lstatSync(abs); } catch { st = undefined; }
  if (!st || !st.isSocket() || !d.vfs || st.ino !== d.vfs.ino) out.deleted = true;
  else out.file_perms = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  return out;
}

function dumpQueue(f: OpenFd, id: number, sfd: number, d: UnixDiag, ctx: FileDumpContext): void {
  const what = `task ${f.pid} ${where(f)}`;
  const packets = peekQueue(sfd, d.rqueue, d.type === SOCK_STREAM ? 'stream' : d.type === SOCK_SEQPACKET ? 'seqpacket' : 'dgram', true, (d.shutdown & 1) !== 0, what);
  for (const p of packets) {
    const rights = p.fds.map((fd) => ctx.dumpHeldFile(fd));
    ctx.onRelease(() => { for (const fd of p.fds) fs.closeSync(fd); });
    const e: Entry = { id_for: id, length: p.data.length, scm: rights.length ? [{ type: SCM_RIGHTS, rights }] : [], extra: p.data };
    if (p.addr && p.addr.length > 2) e.addr = p.addr.subarray(2);
    // pid 0: the kernel attached no sender to the message; nothing to carry (and none can be sent).
    if (p.creds && p.creds.pid !== 0) e.ucred = { pid: p.creds.pid, uid: p.creds.uid, gid: p.creds.gid };
    ctx.addImageEntry(SK_QUEUES_IMG, 'SK_QUEUES', e);
  }
  ctx.log.debug(`${what}: ${packets.length} queued messages, ${packets.reduce((n, p) => n + p.data.length, 0)} bytes`);
}

/**
 * Once every fd of the tree is read: each peer is in the tree, gone, or allowed outside. A socket
 * waiting in a listener's backlog shows no peer (the kernel's half of the connection has no inode
 * yet); the listener lists it instead, and the images name the listener as its peer, as CRIU does.
 */
function checkPeers(s: UnixDumpState, ctx: FileDumpContext): void {
  const waitingIn = new Map<number, DumpedUnix>();
  for (const u of s.dumped.values()) {
    for (const ino of u.diag.icons) {
      if (ino === 0) continue; // its client has closed: taken from the backlog below
      if (!s.dumped.has(ino)) {
        throw new UnsupportedError(u.f.pid, where(u.f), `listening unix socket ${describeUnixName(u.diag.name ?? Buffer.alloc(0))} has a pending connection from socket:[${ino}], which is outside the dumped tree`);
      }
      waitingIn.set(ino, u);
    }
  }
  for (const u of s.dumped.values()) {
    const listener = waitingIn.get(u.diag.ino);
    if (listener && !u.diag.peer) {
      u.entry.usk.peer_gone = undefined;
      u.entry.usk.peer = listener.diag.ino;
      continue;
    }
    const peer = u.diag.peer;
    if (!peer || s.dumped.has(peer)) continue;
    const other = s.table.get(peer);
    if (!other) continue; // closed meanwhile: restored as a socket whose other end went away
    const name = other.name ?? Buffer.alloc(0);
    if (!ctx.sockets.extUnixSk || name.length === 0) {
      throw new UnsupportedError(u.f.pid, where(u.f), `unix socket connected to socket:[${peer}] ${describeUnixName(name)}, which is outside the dumped tree${name.length ? ' (dump with --ext-unix-sk to reconnect to it by name)' : ' and has no name to reconnect to'}`);
    }
    const id = ctx.addFileEntry((id) => ({
      type: FdType.UNIXSK, id,
      usk: {
        id, ino: peer, type: other.type, state: other.state, flags: 0, uflags: USK_EXTERN, backlog: 0, peer: 0,
        fown: NO_FOWN, opts: { so_sndbuf: 0, so_rcvbuf: 0, so_snd_tmo_sec: 0n, so_snd_tmo_usec: 0n, so_rcv_tmo_sec: 0n, so_rcv_tmo_usec: 0n }, name,
      },
    }));
    ctx.log.info(`task ${u.f.pid} ${where(u.f)}: peer ${describeUnixName(name)} is outside the tree (file id ${id}), reconnected by name at restore`);
  }
  for (const l of s.dumped.values()) {
    if (l.diag.icons.some((ino) => ino === 0 || s.dumped.get(ino)!.diag.wqueue > 0)) takeBacklog(l, s, ctx);
  }
}

/**
 * Data sent on connections not accepted yet sits in the kernel's half of each, which only accept()
 * reaches. The dump accepts them all (in order) from its duplicate of the listener and keeps their
 * queues; restore connects again in the same order and sends the data anew. What is accepted
 * cannot be given back, so this is refused with -R; it is the dump's last step before the kill.
 */
function takeBacklog(l: DumpedUnix, s: UnixDumpState, ctx: FileDumpContext): void {
  const name = describeUnixName(l.diag.name ?? Buffer.alloc(0));
  if (ctx.leaveRunning) {
    throw new UnsupportedError(l.f.pid, where(l.f), `listening unix socket ${name} has connections not accepted yet with data sent on them, which only accepting reads: dump without -R/--leave-running to carry them`);
  }
  const lfd = socketInfo(l.f, ctx).fd;
  const accepted = l.diag.icons.map(() => native.accept4(lfd, O_CLOEXEC | SOCK_NONBLOCK));
  ctx.onRelease(() => { for (const afd of accepted) fs.closeSync(afd); });
  // Accepted, they have inodes and show their clients as peers: one table for them all.
  const table = dumpUnixSockets();
  for (let pos = 0; pos < accepted.length; pos++) {
    const afd = accepted[pos];
    const peerIno = table.get(fs.fstatSync(afd).ino)?.peer ?? 0;
    const client = peerIno ? s.dumped.get(peerIno) : undefined;
    if (peerIno && !client) throw new UnsupportedError(l.f.pid, where(l.f), `accepted a pending connection of ${name} from socket:[${peerIno}], which is not in the tree`);
    if (client) client.entry.usk.backlog_pos = pos;
    const id = ctx.addFileEntry((id) => ({
      type: FdType.UNIXSK, id,
      usk: {
        id, ino: fs.fstatSync(afd).ino, type: l.diag.type, state: TCP_ESTABLISHED, flags: 0, uflags: USK_EMBRYO, backlog: 0,
        peer: peerIno, fown: NO_FOWN, opts: dumpSockOpts(afd), name: l.diag.name ?? Buffer.alloc(0),
        peer_gone: peerIno ? undefined : true, backlog_pos: pos, listener: l.diag.ino,
      },
    }));
    const queued = native.ioctlInt(afd, SIOCINQ);
    if (queued > 0) {
      const af = openFdOf(process.pid, afd);
      dumpQueue(af, id, afd, { ...l.diag, type: l.diag.type, rqueue: queued, shutdown: 0 } as UnixDiag, ctx);
    }
    ctx.log.info(`${where(l.f)}: pending connection ${pos} of ${name} taken from the backlog with ${queued} bytes`);
  }
}

function isConnected(fd: number): boolean {
  try {
    native.getpeername(fd);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOTCONN') return false;
    throw e;
  }
}

export const unixSocket: FileKind = {
  name: 'unix socket',
  type: FdType.UNIXSK,
  matches: (f: OpenFd, ctx: FileDumpContext) => isSocket(f) && socketInfo(f, ctx).family === AF_UNIX,
  dump(f: OpenFd, id: number, ctx) {
    const s = state(ctx);
    const ino = f.stat.ino;
    const d = s.table.get(ino);
    if (!d) throw new UnsupportedError(f.pid, where(f), 'sock_diag does not know this unix socket (is it in another network namespace?)');
    const sfd = socketInfo(f, ctx).fd;
    if (d.state !== TCP_LISTEN && d.rqueue > 0) dumpQueue(f, id, sfd, d, ctx);
    const opts = dumpSockOpts(sfd);
    const peekOff = getInt(sfd, SOL_SOCKET, SO.PEEK_OFF);
    const peerCred = native.getsockopt(sfd, SOL_SOCKET, SO.PEERCRED, 12);
    // Connected, yet the kernel names no peer: the peer has closed (or it waits in a backlog).
    // A datagram socket's state says nothing before 5.15 (connected or paired, it stays
    // TCP_CLOSE there): getpeername alone tells.
    const peerGone = d.peer === 0 && (d.state === TCP_ESTABLISHED || d.type === SOCK_DGRAM) && isConnected(sfd);
    if (peekOff >= 0) opts.so_peek_off = peekOff;
    const usk: Entry = {
      id, ino, type: d.type, state: d.state, flags: f.info.flags & ~O_CLOEXEC, uflags: 0,
      backlog: d.state === TCP_LISTEN ? d.wqueue : 0, peer: d.peer, fown: NO_FOWN, opts,
      name: d.name ?? Buffer.alloc(0), shutdown: d.shutdown, ...nameFacts(f, d),
      peer_gone: peerGone || undefined,
      peer_cred_pid: peerCred.length >= 4 ? peerCred.readInt32LE(0) : 0, owner_pid: f.pid === process.pid ? 0 : f.pid,
    };
    const entry = { type: FdType.UNIXSK, id, usk };
    s.dumped.set(ino, { f, entry, diag: d });
    return entry;
  },
  open(entry, ctx) {
    return { fd: native.fcntl(unixSocketFd(entry, ctx), 1030 /* F_DUPFD_CLOEXEC */, 0) };
  },
};
