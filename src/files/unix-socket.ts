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
import { FdType, FileDumpContext, FileKind, NO_FOWN, OpenFd } from './types';
import { unixSocketFd } from './unix-socket-restore';

const O_CLOEXEC = 0o2000000;
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5;
export const TCP_ESTABLISHED = 1, TCP_CLOSE = 7, TCP_LISTEN = 10;
/** CRIU's unix_sk_entry.uflags: the socket is outside the tree (its peer's name is what counts). */
export const USK_EXTERN = 1;

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

/** The name's directory (relative names) and whether the bound file is still the socket's. */
function nameFacts(f: OpenFd, d: UnixDiag): Entry {
  const p = d.name ? unixPath(d.name) : undefined;
  if (p === undefined) return {};
  const out: Entry = {};
  let abs = p;
  if (!path.isAbsolute(p)) {
    out.name_dir = fs.readlinkSync(`/proc/${f.pid === process.pid ? 'self' : f.pid}/cwd`);
    abs = path.join(out.name_dir, p);
  }
  let st: fs.Stats | undefined;
  try { st = fs.lstatSync(abs); } catch { st = undefined; }
  if (!st || !st.isSocket() || !d.vfs || st.ino !== d.vfs.ino) out.deleted = true;
  else out.file_perms = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  return out;
}

function dumpQueue(f: OpenFd, id: number, sfd: number, d: UnixDiag, ctx: FileDumpContext): void {
  const what = `task ${f.pid} ${where(f)}`;
  const packets = peekQueue(sfd, d.rqueue, d.type === SOCK_STREAM, true, what);
  for (const p of packets) {
    const rights = p.fds.map((fd) => ctx.dumpHeldFile(fd));
    ctx.onRelease(() => { for (const fd of p.fds) fs.closeSync(fd); });
    const e: Entry = { id_for: id, length: p.data.length, scm: rights.length ? [{ type: SCM_RIGHTS, rights }] : [], extra: p.data };
    if (p.addr && p.addr.length > 2) e.addr = p.addr.subarray(2);
    if (p.creds) e.ucred = { pid: p.creds.pid, uid: p.creds.uid, gid: p.creds.gid };
    ctx.addImageEntry(SK_QUEUES_IMG, 'SK_QUEUES', e);
  }
  ctx.log.debug(`${what}: ${packets.length} queued messages, ${packets.reduce((n, p) => n + p.data.length, 0)} bytes`);
}

/** Once every fd of the tree is read: each peer is in the tree, gone, pending, or allowed outside. */
function checkPeers(s: UnixDumpState, ctx: FileDumpContext): void {
  const listenerOf = new Map<number, DumpedUnix>();
  for (const u of s.dumped.values()) for (const ino of u.diag.icons) listenerOf.set(ino, u);
  for (const u of s.dumped.values()) {
    const peer = u.diag.peer;
    if (!peer || s.dumped.has(peer)) continue;
    const listener = listenerOf.get(peer);
    if (listener) {
      const embryo = s.table.get(peer);
      if (embryo && embryo.rqueue > 0) {
        throw new UnsupportedError(u.f.pid, where(u.f), `its connection to ${describeUnixName(listener.diag.name ?? Buffer.alloc(0))} is not accepted yet and holds ${embryo.rqueue} bytes, which cannot be read without accepting it`);
      }
      // As CRIU writes it: a connection waiting in a backlog names the listener as its peer.
      u.entry.usk.peer = listener.diag.ino;
      continue;
    }
    const other = s.table.get(peer);
    if (!other) continue; // the peer is closed: restored as a socket whose other end went away
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
  for (const u of s.dumped.values()) {
    for (const ino of u.diag.icons) {
      const client = [...s.table.values()].find((c) => c.peer === ino);
      if (!client || !s.dumped.has(client.ino)) {
        throw new UnsupportedError(u.f.pid, where(u.f), `listening unix socket ${describeUnixName(u.diag.name ?? Buffer.alloc(0))} has a pending connection from socket:[${client?.ino ?? '?'}] outside the dumped tree`);
      }
    }
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
    if (peekOff >= 0) opts.so_peek_off = peekOff;
    const usk: Entry = {
      id, ino, type: d.type, state: d.state, flags: f.info.flags & ~O_CLOEXEC, uflags: 0,
      backlog: d.state === TCP_LISTEN ? d.wqueue : 0, peer: d.peer, fown: NO_FOWN, opts,
      name: d.name ?? Buffer.alloc(0), shutdown: d.shutdown, ...nameFacts(f, d),
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
