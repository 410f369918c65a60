/**
 * Restore of every unix socket of the images at once, in the restorer, in an order that lets
 * names be reused: (1) connected pairs whose ends have no name are socketpairs; a connection whose
 * accepted end bears a listener's name is made through a temporary listener on that name, then
 * the name is freed; (2) listeners, then other bound sockets; (3) connections waiting in a
 * backlog connect to their listener; datagram sockets connect to their peers; sockets whose peer
 * closed get a socketpair whose other end is closed later. Queued messages go back just before the
 * tree runs (./unix-socket-queues.ts): their senders' credentials name tasks that exist by then.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import { AmberError, ImageError, SysError } from '../errors';
import { Entry, FILES_IMG } from '../images';
import { AF_UNIX, AF_UNSPEC, describeUnixName, unixPath, unixSockaddr } from '../net/sockaddr';
import { restoreBufferSizes, restoreSockOpts } from '../net/sk-opts';
import { getInt, setInt, SO, SOL_SOCKET } from '../net/sockopt';
import { FdType, FileRestoreContext } from './types';
import { refillUnixQueues } from './unix-socket-queues';
import { restorerActor, SocketActor, taskActor } from './socket-actor';
import { isInherited } from './external';

const SOCK_CLOEXEC = 0o2000000, O_NONBLOCK = 0o4000, F_SETFL = 4;
const TCP_LISTEN = 10, SOCK_DGRAM = 2;
const USK_EXTERN = 1, USK_EMBRYO = 0x10000;
const SHUT_BITS = [[1, 0 /* SHUT_RD */], [2, 1 /* SHUT_WR */]] as const;

/** What the planner made: the restorer's fd of each socket, by inode. */
export interface UnixSockets {
  byIno: Map<number, Entry>;
  byId: Map<number, Entry>;
  /** Peers outside the tree (--ext-unix-sk): only their names. */
  externals: Map<number, Entry>;
  /** Connections waiting in a backlog, by file id: made by their client's connect, filled from it. */
  embryos: Map<number, Entry>;
  fds: Map<number, number>;
  /** Other ends of sockets whose peer had closed: closed once the queues are back. */
  orphanEnds: Map<number, number>;
}

const nameKey = (name: Buffer) => name.toString('hex');

/** Runs fn with the restorer in the directory a relative name was bound in. */
function inNameDir<T>(usk: Entry, fn: () => T): T {
  const p = unixPath(usk.name);
  if (p === undefined || path.isAbsolute(p) || !usk.name_dir) return fn();
  const back = process.cwd();
  process.chdir(usk.name_dir);
  try {
    return fn();
  } finally {
    process.chdir(back);
  }
}

function absPath(usk: Entry): string | undefined {
  const p = unixPath(usk.name);
  if (p === undefined) return undefined;
  return path.isAbsolute(p) || !usk.name_dir ? p : path.join(usk.name_dir, p);
}

/** Frees a path name left behind by the dumped socket (its file outlives it) before binding it again. */
function clearStalePath(usk: Entry): void {
  const p = absPath(usk);
  if (p === undefined) return;
  let st: fs.Stats;
  try { st = fs.lstatSync(p); } catch { return; }
  if (!st.isSocket()) throw new ImageError(FILES_IMG, usk.id, `unix socket name ${p} is taken by a file that is not a socket`);
  fs.unlinkSync(p);
}

function bindName(fd: number, usk: Entry): void {
  if (!usk.name?.length) return;
  clearStalePath(usk);
  inNameDir(usk, () => native.bind(fd, unixSockaddr(usk.name)));
}

const SUN_PATH_MAX = 108;

/** Connects fd to usk's name, as `actor`; a relative name is given as an absolute path to a task. */
function connectTo(fd: number, usk: Entry, actor: SocketActor = restorerActor): void {
  const p = absPath(usk);
  const rel = p !== undefined && !path.isAbsolute(unixPath(usk.name)!);
  if (actor === restorerActor || !rel || p!.length + 1 > SUN_PATH_MAX) {
    inNameDir(usk, () => (rel ? restorerActor : actor).connect(fd, unixSockaddr(usk.name)));
  } else {
    actor.connect(fd, unixSockaddr(Buffer.from(p + '\0', 'latin1')));
  }
}

function fail(usk: Entry, why: string, cause?: unknown): never {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  throw new ImageError(FILES_IMG, usk.id, `unix socket ${describeUnixName(usk.name)} (socket:[${usk.ino}]): ${why}${detail}`, { cause });
}

function makeAll(s: UnixSockets, ctx: FileRestoreContext): void {
  const actors = new Map<number, SocketActor>();
  /** The stub with this dumped pid acts, so that SO_PEERCRED names it; else the restorer. */
  const as = (pid: number | undefined): SocketActor => {
    const t = pid ? ctx.taskFor(pid) : undefined;
    if (!t || !pid) return restorerActor;
    let a = actors.get(pid);
    if (!a) actors.set(pid, (a = taskActor(t, pid)));
    return a;
  };
  const socks = [...s.byIno.values()];
  const made = (u: Entry) => s.fds.has(u.ino);
  const put = (u: Entry, fd: number) => s.fds.set(u.ino, fd);
  const fresh = (u: Entry) => native.socket(AF_UNIX, u.type | SOCK_CLOEXEC, 0);
  const isListener = (u: Entry | undefined) => u?.state === TCP_LISTEN;
  const listenerNames = new Set(socks.filter(isListener).map((u) => nameKey(u.name)));

  // (1) Connected pairs, both ends in the images; and sockets whose peer had closed (the kernel
  // then shows no peer), given a pair whose other end is closed once the queues are back.
  const viaName = new Map<string, { acceptor: Entry; client?: Entry }[]>();
  const paired = new Set<number>();
  const sharedName = (u: Entry) => u.name.length > 0 && (listenerNames.has(nameKey(u.name)) || socks.some((o) => o !== u && nameKey(o.name) === nameKey(u.name)));
  const throughListener = (acceptor: Entry, client?: Entry) => {
    const k = nameKey(acceptor.name);
    if (!viaName.has(k)) viaName.set(k, []);
    viaName.get(k)!.push({ acceptor, client });
    put(acceptor, -1);
    paired.add(acceptor.ino);
    if (client) { put(client, -1); paired.add(client.ino); }
  };
  // Pairs are made after the walk, all of one actor in one go (a stub makes them in one stop).
  const pairsWanted: { u: Entry; p?: Entry }[] = [];
  const pair = (u: Entry, p: Entry | undefined) => {
    put(u, -1);
    paired.add(u.ino);
    if (p) { put(p, -1); paired.add(p.ino); }
    pairsWanted.push({ u, p });
  };
  const makePairs = () => {
    const byActor = new Map<SocketActor, { u: Entry; p?: Entry }[]>();
    for (const w of pairsWanted) {
      const a = as(w.u.peer_cred_pid);
      if (!byActor.has(a)) byActor.set(a, []);
      byActor.get(a)!.push(w);
    }
    for (const [actor, wanted] of byActor) {
      const made = actor.socketpairs(AF_UNIX, wanted.map(({ u }) => u.type | SOCK_CLOEXEC));
      wanted.forEach(({ u, p }, i) => {
        const [a, b] = made[i];
        put(u, a);
        if (p) put(p, b); else s.orphanEnds.set(u.ino, b);
      });
    }
    for (const { u, p } of pairsWanted) {
      try { bindName(s.fds.get(u.ino)!, u); if (p) bindName(s.fds.get(p.ino)!, p); } catch (e) { fail(u, 'cannot bind its name again', e); }
    }
  };
  for (const u of socks) {
    if (made(u)) continue;
    const p = s.byIno.get(u.peer);
    const orphan = u.peer_gone === true;
    if (orphan) {
      if (u.type !== SOCK_DGRAM && sharedName(u)) throughListener(u);
      else pair(u, undefined);
      continue;
    }
    if (!p || p.peer !== u.ino || isListener(p)) continue;
    // Datagram sockets can be bound after they are connected: a pair serves whatever their names.
    if (u.type === SOCK_DGRAM || (!u.name.length && !p.name.length)) { pair(u, p); continue; }
    // The accepted end carries its listener's name; with names on both ends, the one that a
    // listener (or another accepted end) shares is the accepted one.
    if (u.name.length && (sharedName(u) || !p.name.length)) throughListener(u, p);
    else throughListener(p, u);
  }
  makePairs();
  for (const group of viaName.values()) {
    const first = group[0].acceptor;
    const t = native.socket(AF_UNIX, first.type | SOCK_CLOEXEC, 0);
    try {
      bindName(t, first);
      // The client's SO_PEERCRED is whoever listened; the accepted end's, whoever connected.
      as(group[0].client?.peer_cred_pid).listen(t, group.length);
      for (const { acceptor, client } of group) {
        const c = native.socket(AF_UNIX, acceptor.type | SOCK_CLOEXEC, 0);
        if (client) { put(client, c); bindName(c, client); } else s.orphanEnds.set(acceptor.ino, c);
        connectTo(c, first, as(acceptor.peer_cred_pid));
        put(acceptor, native.accept4(t, SOCK_CLOEXEC));
      }
    } catch (e) {
      fail(first, 'cannot remake its connections through a listener on its name', e);
    } finally {
      fs.closeSync(t);
    }
    const p = absPath(first);
    // The temporary listener's file goes; the real listener, if any, binds it again below.
    if (p !== undefined && (first.deleted || listenerNames.has(nameKey(first.name)))) fs.rmSync(p, { force: true });
  }

  // (2) Listeners, then every other socket that is bound or still unmade.
  for (const u of socks.filter(isListener)) {
    const fd = fresh(u);
    put(u, fd);
    try { bindName(fd, u); as(u.peer_cred_pid).listen(fd, u.backlog); } catch (e) { fail(u, 'cannot listen on its name again', e); }
  }
  for (const u of socks) {
    if (made(u)) continue;
    const fd = fresh(u);
    put(u, fd);
    try { bindName(fd, u); } catch (e) { fail(u, 'cannot bind its name again', e); }
  }

  // (3) Connections made by name: to a listener (waiting in its backlog), datagram sockets to
  // their peers, and peers outside the tree.
  // Connections to listeners keep their backlog order; a pending one whose client had closed
  // gets a stand-in client, closed once its data is back.
  const connecting: { pos: number; u?: Entry; embryo?: Entry }[] = [
    ...socks.map((u) => ({ pos: u.backlog_pos ?? 0, u })),
    ...[...s.embryos.values()].filter((e) => e.peer_gone).map((embryo) => ({ pos: embryo.backlog_pos ?? 0, embryo })),
  ].sort((a, b) => a.pos - b.pos);
  for (const { u, embryo } of connecting) {
    if (embryo) {
      const l = s.byIno.get(embryo.listener);
      if (!l) fail(embryo, `its listener socket:[${embryo.listener}] is not restored`);
      const c = native.socket(AF_UNIX, embryo.type | SOCK_CLOEXEC, 0);
      s.orphanEnds.set(embryo.ino, c);
      try { connectTo(c, l); } catch (e) { fail(embryo, 'cannot connect to its listener again', e); }
      continue;
    }
    if (!u) continue;
    const p = s.byIno.get(u.peer) ?? s.externals.get(u.peer);
    if (!p || paired.has(u.ino)) continue;
    const fd = s.fds.get(u.ino)!;
    try {
      if (p.name.length) {
        connectTo(fd, p, u.type === SOCK_DGRAM ? restorerActor : as(u.owner_pid));
      } else if (u.type === SOCK_DGRAM && !paired.has(p.ino)) {
        // A one-way connection to an unnamed socket: a pair, then the other side disconnects.
        fs.closeSync(fd);
        fs.closeSync(s.fds.get(p.ino)!);
        const [a, b] = as(u.peer_cred_pid).socketpair(AF_UNIX, u.type | SOCK_CLOEXEC);
        put(u, a);
        put(p, b);
        native.connect(b, Buffer.from([AF_UNSPEC, 0]));
        getInt(a, SOL_SOCKET, SO.ERROR); // the disconnect reported ECONNRESET to a: not the program's error
      } else {
        fail(u, `its peer socket:[${p.ino}] has no name to connect to`);
      }
    } catch (e) {
      if (e instanceof ImageError) throw e;
      fail(u, `cannot connect to ${describeUnixName(p.name)} again`, e);
    }
  }

  for (const a of actors.values()) a.flush();

  // Options whose order does not matter; buffer sizes before the queues are refilled.
  for (const u of socks) {
    const fd = s.fds.get(u.ino)!;
    restoreBufferSizes(fd, u.opts);
    if (u.flags & O_NONBLOCK) native.fcntl(fd, F_SETFL, O_NONBLOCK);
    const p = absPath(u);
    if (p !== undefined && u.file_perms && !u.deleted && (isListener(u) || !viaName.has(nameKey(u.name)))) {
      fs.chownSync(p, u.file_perms.uid, u.file_perms.gid);
      fs.chmodSync(p, u.file_perms.mode);
    }
  }
}

/** After the queues are back: shutdowns, the rest of the options, orphan ends, deleted names. */
function finishAll(s: UnixSockets): void {
  for (const u of s.byIno.values()) {
    const fd = s.fds.get(u.ino)!;
    if (!s.orphanEnds.has(u.ino)) {
      for (const [bit, how] of SHUT_BITS) {
        if (u.shutdown & bit) {
          try { native.shutdown(fd, how); } catch (e) { if (!(e instanceof SysError && e.code === 'ENOTCONN')) throw e; }
        }
      }
    }
    restoreSockOpts(fd, u.opts);
    if (u.opts.so_peek_off !== undefined && u.opts.so_peek_off !== null && u.opts.so_peek_off >= 0) setInt(fd, SOL_SOCKET, SO.PEEK_OFF, u.opts.so_peek_off);
  }
  for (const fd of s.orphanEnds.values()) fs.closeSync(fd);
  s.orphanEnds.clear();
  // A name whose file was unlinked goes again, unless another socket (a listener whose accepted
  // connections kept the old file's name) still owns a file under that name.
  const owned = new Set([...s.byIno.values()].filter((u) => !u.deleted).map((u) => absPath(u)));
  for (const u of s.byIno.values()) {
    const p = absPath(u);
    if (p !== undefined && u.deleted && !owned.has(p)) fs.rmSync(p, { force: true });
  }
}

function plan(ctx: FileRestoreContext): UnixSockets {
  const key = 'unix-sockets';
  const have = ctx.shared.get(key) as UnixSockets | undefined;
  if (have) return have;
  const s: UnixSockets = { byIno: new Map<number, Entry>(), byId: new Map<number, Entry>(), externals: new Map<number, Entry>(), embryos: new Map<number, Entry>(), fds: new Map<number, number>(), orphanEnds: new Map<number, number>() };
  for (const f of ctx.files.values()) {
    if (f.type !== FdType.UNIXSK || !f.usk) continue;
    if (isInherited(f, ctx)) continue; // the caller's fd (--inherit-fd), not made here
    if (f.usk.name === undefined) f.usk.name = Buffer.alloc(0);
    if (f.usk.uflags & USK_EXTERN) s.externals.set(f.usk.ino, f.usk);
    else if (f.usk.uflags & USK_EMBRYO) s.embryos.set(f.usk.id, f.usk);
    else { s.byIno.set(f.usk.ino, f.usk); s.byId.set(f.usk.id, f.usk); }
  }
  ctx.shared.set(key, s);
  ctx.onCleanup(() => {
    for (const fd of [...s.fds.values(), ...s.orphanEnds.values()]) if (fd >= 0) { try { fs.closeSync(fd); } catch { /* closed */ } }
  });
  makeAll(s, ctx);
  ctx.onResume(() => {
    refillUnixQueues(s, ctx);
    finishAll(s);
  });
  return s;
}

/** The restorer's fd of the unix socket of this file entry (made with all the others on first use). */
export function unixSocketFd(entry: Entry, ctx: FileRestoreContext): number {
  const s = plan(ctx);
  const fd = s.fds.get(entry.usk.ino);
  if (fd === undefined || fd < 0) throw new AmberError(`unix socket socket:[${entry.usk.ino}] (file id ${entry.id}) was not made`);
  return fd;
}
