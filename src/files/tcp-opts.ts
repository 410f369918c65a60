/**
 * TCP options of a TCP socket (tcp_opts_entry, amber's own): read at dump; at restore set only
 * where they differ from what a fresh socket has, so system defaults are not pinned.
 */
import { native } from '../native';
import { Entry } from '../images';
import * as fs from 'node:fs';
import { getInt, getIntsOptional, setInt, SOL_TCP } from '../net/sockopt';

const INT_OPTS = {
  nodelay: 1, maxseg: 2, cork: 3, syncnt: 7, linger2: 8, defer_accept: 9, window_clamp: 10,
  user_timeout: 18, fastopen_qlen: 23, notsent_lowat: 25,
} as const;
const INT_OPT_NAMES = Object.keys(INT_OPTS) as (keyof typeof INT_OPTS)[];
const INT_OPT_NUMBERS = INT_OPT_NAMES.map((n) => INT_OPTS[n]);
const BOOL_OPTS = new Set(['nodelay', 'cork']);
const TCP_CONGESTION = 13;

export function dumpTcpOpts(fd: number): Entry {
  const out: Entry = {};
  const values = getIntsOptional(fd, SOL_TCP, INT_OPT_NUMBERS);
  INT_OPT_NAMES.forEach((name, i) => {
    const v = values[i];
    if (v !== undefined) out[name] = BOOL_OPTS.has(name) ? v !== 0 : v;
  });
  const cc = native.getsockopt(fd, SOL_TCP, TCP_CONGESTION, 16);
  out.congestion = cc.subarray(0, cc.indexOf(0) < 0 ? cc.length : cc.indexOf(0)).toString();
  return out;
}

const SOCK_STREAM = 1, SOCK_CLOEXEC = 0o2000000, IPPROTO_TCP = 6, TCP_WINDOW_CLAMP = 10;

/**
 * What a new TCP socket of `family` reads, asked once per restore (`shared`): all of them read
 * the same in amber's network namespace, and asking each one anew was 11 getsockopts a socket.
 */
export function newSocketTcpOpts(family: number, shared: Map<string, unknown>): Entry {
  const key = `tcp-opts-of-a-new-socket:${family}`;
  let o = shared.get(key) as Entry | undefined;
  if (!o) {
    const fd = native.socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    try { o = dumpTcpOpts(fd); } finally { fs.closeSync(fd); }
    shared.set(key, o);
  }
  return o;
}

/**
 * What a repaired connection reads: a new socket's options but the window clamp, which
 * TCP_REPAIR_WINDOW set (nodelay, cork and maxseg the caller sets itself).
 */
export function repairedTcpOpts(fd: number, family: number, shared: Map<string, unknown>): Entry {
  return { ...newSocketTcpOpts(family, shared), window_clamp: getInt(fd, SOL_TCP, TCP_WINDOW_CLAMP) };
}

/**
 * `fresh`: what the socket reads now (newSocketTcpOpts for a socket not yet connected,
 * repairedTcpOpts for a repaired one); `skip`: options the caller sets itself (a repaired
 * connection's nodelay/cork/maxseg).
 */
export function restoreTcpOpts(fd: number, o: Entry | undefined, fresh: Entry, skip: ReadonlySet<string> = new Set()): void {
  if (!o) return;
  for (const [name, opt] of Object.entries(INT_OPTS)) {
    const v = o[name];
    if (v === undefined || v === null || skip.has(name) || v === fresh[name]) continue;
    // maxseg of an unconnected socket reads back the default MSS unless one was set; keep what was read.
    setInt(fd, SOL_TCP, opt, typeof v === 'boolean' ? Number(v) : v);
  }
  if (o.congestion && o.congestion !== fresh.congestion) native.setsockopt(fd, SOL_TCP, TCP_CONGESTION, Buffer.from(o.congestion));
}
