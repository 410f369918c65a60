/** What kind of socket an fd of a task is (SO_DOMAIN/SO_TYPE/SO_PROTOCOL on a duplicate), once per fd. */
import * as fs from 'node:fs';
import { native } from '../native';
import { NR, sys } from '../check/sys';
import { UnsupportedError } from '../errors';
import { getInts, SO, SOL_SOCKET } from '../net/sockopt';
import { FileDumpContext, OpenFd } from './types';

export interface SocketInfo {
  family: number;
  type: number;
  protocol: number;
  /** The dumper's duplicate of the socket. */
  fd: number;
}

export function isSocket(f: OpenFd): boolean {
  return f.link.startsWith('socket:');
}

/** The dumper's own fds (in flight in a queue) are used as they are; a task's are duplicated. */
export function socketFd(f: OpenFd, ctx: FileDumpContext): number {
  return f.pid === process.pid ? f.fd : ctx.grabFd(f.pid, f.fd);
}

const SO_NETNS_COOKIE = 71;

/** The network namespace cookie of a socket (kernel 5.14+), undefined where the kernel has none. */
function netnsCookie(fd: number): bigint | undefined {
  try {
    return native.getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, 8).readBigUInt64LE(0);
  } catch {
    return undefined;
  }
}

const SIOCGSKNS = 0x894c;

/** Whether the socket's network namespace (SIOCGSKNS: an nsfs fd) is not the dumper's; undefined if it cannot tell. */
function otherNetnsBySkns(fd: number, ctx: FileDumpContext): boolean | undefined {
  const r = sys(NR.ioctl, fd, SIOCGSKNS, 0);
  if (r.ret < 0) return undefined;
  try {
    const own = memo(ctx, 'netns-ino', () => fs.statSync('/proc/thread-self/ns/net').ino);
    return fs.fstatSync(r.ret).ino !== own;
  } finally {
    fs.closeSync(r.ret);
  }
}

export function socketInfo(f: OpenFd, ctx: FileDumpContext): SocketInfo {
  const key = `sockinfo:${f.pid}:${f.fd}`;
  let info = ctx.cache.get(key) as SocketInfo | undefined;
  if (!info) {
    const fd = socketFd(f, ctx);
    const o = getInts(fd, SOL_SOCKET, { family: SO.DOMAIN, type: SO.TYPE, protocol: SO.PROTOCOL });
    info = { fd, family: o.family!, type: o.type!, protocol: o.protocol! };
    ctx.cache.set(key, info);
    // sock_diag and the restorer see the dumper's network namespace only.
    const own = memo(ctx, 'netns-cookie', () => {
      const probe = native.socket(1 /* AF_UNIX */, 2 | 0o2000000, 0);
      try { return netnsCookie(probe); } finally { fs.closeSync(probe); }
    });
    const its = netnsCookie(fd);
    // Before 5.14 (no SO_NETNS_COOKIE) the socket names its namespace with SIOCGSKNS instead.
    const other = own !== undefined && its !== undefined ? its !== own : otherNetnsBySkns(fd, ctx);
    if (other) {
      throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, 'the socket belongs to another network namespace, which amber does not carry yet');
    }
  }
  return info;
}

/** A per-dump memo: the value under key, made on first use. */
export function memo<T>(ctx: { cache: Map<string, unknown> }, key: string, make: () => T): T {
  if (ctx.cache.has(key)) return ctx.cache.get(key) as T;
  const v = make();
  ctx.cache.set(key, v);
  return v;
}
