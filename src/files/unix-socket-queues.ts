/**
 * Putting queued messages back into restored unix sockets, from the socket that sent them: the
 * peer of a connected socket, the bound sender of a datagram (found by the address it carried),
 * or a stand-in socket bound to that address. Fds in flight are opened and passed again;
 * credentials are sent as they were (root may name any task, and every task exists by now).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import { ImageError, SysError } from '../errors';
import { Entry, readImageOptional, SK_QUEUES_IMG } from '../images';
import { AF_UNIX, describeUnixName, unixSockaddr } from '../net/sockaddr';
import { buildControl } from '../net/cmsg';
import { getInt, setInt, SO, SOL_SOCKET } from '../net/sockopt';
import { FileRestoreContext } from './types';
import type { UnixSockets } from './unix-socket-restore';
import { mutated } from '../mutant';

const MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000;
const SOCK_CLOEXEC = 0o2000000, SOCK_DGRAM = 2;
const LARGE_SNDBUF = 64 << 20;

const nameKey = (name: Buffer) => name.toString('hex');

export function refillUnixQueues(s: UnixSockets, ctx: FileRestoreContext): void {
  const packets = readImageOptional(ctx.imagesDir, SK_QUEUES_IMG, 'SK_QUEUES') ?? [];
  if (!packets.length || mutated('skip-unix-queues')) return;
  const byName = new Map<string, Entry>();
  for (const u of s.byIno.values()) if (u.name.length) byName.set(nameKey(u.name), u);
  const temps: number[] = [];
  const grown = new Map<number, number>();
  try {
    packets.forEach((p, i) => {
      const embryo = s.embryos.get(p.id_for);
      const r = embryo ?? s.byId.get(p.id_for);
      if (!r) throw new ImageError(SK_QUEUES_IMG, i, `queued message for file id ${p.id_for}, which is no unix socket of files.img`);
      const data: Buffer = p.extra ?? Buffer.alloc(0);
      if (data.length !== p.length) throw new ImageError(SK_QUEUES_IMG, i, `${data.length} bytes, ${p.length} declared`);
      // A connection still in a backlog gets its data from its client, connected to the listener.
      const { fd: from, to } = embryo ? { fd: s.orphanEnds.get(embryo.ino) ?? s.fds.get(embryo.peer)!, to: null } : sender(s, r, p, byName, temps, i);
      if (from === undefined) throw new ImageError(SK_QUEUES_IMG, i, `data of a pending connection whose client socket:[${r.peer}] is not restored`);
      if (!grown.has(from)) {
        grown.set(from, getInt(from, SOL_SOCKET, SO.SNDBUF));
        setInt(from, SOL_SOCKET, SO.SNDBUFFORCE, LARGE_SNDBUF);
      }
      const rights: number[] = (p.scm ?? []).flatMap((c: Entry) => c.rights ?? []).map((id: number) => ctx.openFileById(id));
      try {
        send(from, data, to, rights, p.ucred, ctx, `${SK_QUEUES_IMG} entry ${i}`);
      } finally {
        for (const fd of rights) fs.closeSync(fd);
      }
    });
  } finally {
    for (const [fd, size] of grown) setInt(fd, SOL_SOCKET, SO.SNDBUFFORCE, Math.floor(size / 2));
    for (const fd of temps) fs.closeSync(fd);
  }
  ctx.log.debug(`unix sockets: ${packets.length} queued messages put back`);
}

/** The socket to send a message from, and the address to send it to (unconnected datagrams). */
function sender(s: UnixSockets, r: Entry, p: Entry, byName: Map<string, Entry>, temps: number[], i: number): { fd: number; to: Buffer | null } {
  const peerOf = (u: Entry) => s.orphanEnds.get(u.ino) ?? (s.byIno.get(u.peer)?.peer === u.ino ? s.fds.get(u.peer) : undefined);
  if (r.type !== SOCK_DGRAM) {
    const fd = peerOf(r);
    if (fd === undefined) throw new ImageError(SK_QUEUES_IMG, i, `data queued on ${describeUnixName(r.name)} (socket:[${r.ino}]) whose peer is not restored`);
    return { fd, to: null };
  }
  const addr: Buffer | undefined = p.addr?.length ? Buffer.from(p.addr) : undefined;
  const to = r.name.length ? addressOf(r) : null;
  const known = addr ? byName.get(nameKey(addr)) : undefined;
  if (known) {
    // The sender is connected to r, or unconnected and sends to r's name.
    if (known.peer === r.ino) return { fd: s.fds.get(known.ino)!, to: null };
    if (to) return { fd: s.fds.get(known.ino)!, to };
  }
  if (!addr) {
    const fd = peerOf(r);
    if (fd !== undefined) return { fd, to: null };
  }
  if (!to) throw new ImageError(SK_QUEUES_IMG, i, `a datagram queued on unnamed socket:[${r.ino}] came from ${addr ? describeUnixName(addr) : 'an unnamed socket'} that is not restored`);
  // A sender outside the tree, or gone: a stand-in bound to its address where that is free.
  const t = native.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  temps.push(t);
  if (addr) {
    try {
      native.bind(t, unixSockaddr(addr));
      if (addr[0] !== 0) fs.rmSync(addr.subarray(0, addr.indexOf(0) < 0 ? addr.length : addr.indexOf(0)).toString('latin1'), { force: true });
    } catch (e) {
      if (!(e instanceof SysError && e.code === 'EADDRINUSE')) throw e;
    }
  }
  return { fd: t, to };
}

/** r's address to send to from the restorer: relative names made absolute. */
function addressOf(r: Entry): Buffer {
  const p = r.name[0] !== 0 ? r.name.subarray(0, r.name.indexOf(0) < 0 ? r.name.length : r.name.indexOf(0)).toString('latin1') : undefined;
  if (p === undefined || path.isAbsolute(p) || !r.name_dir) return unixSockaddr(r.name);
  return unixSockaddr(Buffer.from(path.join(r.name_dir, p) + '\0', 'latin1'));
}

function send(fd: number, data: Buffer, to: Buffer | null, rights: number[], ucred: Entry | undefined, ctx: FileRestoreContext, what: string): void {
  const creds = ucred ? { pid: ucred.pid, uid: ucred.uid, gid: ucred.gid } : undefined;
  let n: number;
  try {
    n = native.sendmsg(fd, data, to, buildControl(rights, creds), MSG_DONTWAIT | MSG_NOSIGNAL);
  } catch (e) {
    if (!(creds && e instanceof SysError && e.code === 'ESRCH')) throw new ImageError(SK_QUEUES_IMG, undefined, `${what}: cannot queue ${data.length} bytes again`, { cause: e });
    // The sending task is gone: the message keeps its data and fds, the restorer stands in for the sender.
    ctx.log.warn(`${what}: sender pid ${creds.pid} no longer exists; the message is queued with the restorer's credentials`);
    n = native.sendmsg(fd, data, to, buildControl(rights), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  if (n !== data.length) throw new ImageError(SK_QUEUES_IMG, undefined, `${what}: only ${n} of ${data.length} bytes queued again`);
}
