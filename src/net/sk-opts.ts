/**
 * sk_opts_entry: the SOL_SOCKET options every socket family shares (and TCP keepalive), read from
 * a duplicate of the socket at dump and set on the new socket at restore. Buffer sizes are set
 * only where the program set them (SO_BUF_LOCK), since setting one turns autotuning off.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { Entry } from '../images';
import { getInt, getInts, getTimeval, setInt, setTimeval, SO, SOL_SOCKET, SOL_TCP } from './sockopt';
import { mutated } from '../mutant';

const SOCK_SNDBUF_LOCK = 1, SOCK_RCVBUF_LOCK = 2;
const TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6;
const SO_LOCK_FILTER = 44;

/**
 * What a socket's buffers are unless the program set them: net.core.{w,r}mem_default, or for
 * TCP the middle value of net.ipv4.tcp_{w,r}mem.
 */
function defaultBuffers(tcp: boolean): { snd?: number; rcv?: number } {
  const read = (file: string) => {
    try {
      const v = fs.readFileSync(`/proc/sys/net/${file}`, 'utf8').trim().split(/\s+/);
      return Number(tcp ? v[1] : v[0]);
    } catch {
      return undefined;
    }
  };
  return tcp ? { snd: read('ipv4/tcp_wmem'), rcv: read('ipv4/tcp_rmem') } : { snd: read('core/wmem_default'), rcv: read('core/rmem_default') };
}

/**
 * SO_BUF_LOCK's bits where the kernel has no SO_BUF_LOCK (before 5.14): a buffer of another
 * size than the system default was set by the program. Not for a connected TCP socket, whose
 * sizes move by themselves (autotuning), so that which were set cannot be told there.
 */
function guessBufLock(sndbuf: number, rcvbuf: number, tcp: boolean, tcpIdle: boolean): number {
  if (tcp && !tcpIdle) return 0;
  const d = defaultBuffers(tcp);
  return (d.snd !== undefined && sndbuf !== d.snd ? SOCK_SNDBUF_LOCK : 0) | (d.rcv !== undefined && rcvbuf !== d.rcv ? SOCK_RCVBUF_LOCK : 0);
}

export function dumpSockOpts(fd: number, opts: { tcp?: boolean; tcpIdle?: boolean } = {}): Entry {
  const snd = getTimeval(fd, SO.SNDTIMEO), rcv = getTimeval(fd, SO.RCVTIMEO);
  const lingerB = native.getsockopt(fd, SOL_SOCKET, SO.LINGER, 8);
  const dev = native.getsockopt(fd, SOL_SOCKET, SO.BINDTODEVICE, 64);
  // The int options in one native call.
  const o = getInts(fd, SOL_SOCKET, {
    sndbuf: SO.SNDBUF, rcvbuf: SO.RCVBUF, reuseaddr: SO.REUSEADDR, priority: SO.PRIORITY, rcvlowat: SO.RCVLOWAT, mark: SO.MARK,
    passcred: SO.PASSCRED, passsec: SO.PASSSEC, dontroute: SO.DONTROUTE, noCheck: SO.NO_CHECK, reuseport: SO.REUSEPORT,
    broadcast: SO.BROADCAST, keepalive: SO.KEEPALIVE, oobinline: SO.OOBINLINE, bufLock: SO.BUF_LOCK,
  }, ['passcred', 'passsec', 'bufLock']);
  const e: Entry = {
    so_sndbuf: o.sndbuf, so_rcvbuf: o.rcvbuf,
    so_snd_tmo_sec: BigInt.asUintN(64, snd.sec), so_snd_tmo_usec: BigInt.asUintN(64, snd.usec),
    so_rcv_tmo_sec: BigInt.asUintN(64, rcv.sec), so_rcv_tmo_usec: BigInt.asUintN(64, rcv.usec),
    reuseaddr: o.reuseaddr !== 0,
    so_priority: o.priority,
    so_rcvlowat: o.rcvlowat,
    so_mark: o.mark,
    so_passcred: (o.passcred ?? 0) !== 0,
    so_passsec: (o.passsec ?? 0) !== 0,
    so_dontroute: o.dontroute !== 0,
    so_no_check: o.noCheck !== 0,
    so_reuseport: o.reuseport !== 0,
    so_broadcast: o.broadcast !== 0,
    so_keepalive: o.keepalive !== 0,
    so_oobinline: o.oobinline,
    so_buf_lock: o.bufLock ?? guessBufLock(o.sndbuf!, o.rcvbuf!, !!opts.tcp, !!opts.tcpIdle),
  };
  if (lingerB.length >= 8 && lingerB.readInt32LE(0)) e.so_linger = lingerB.readInt32LE(4);
  const filter = native.getFilter(fd);
  if (filter.length) {
    e.so_filter = [];
    for (let i = 0; i < filter.length; i += 8) e.so_filter.push(filter.readBigUInt64LE(i));
    e.so_filter_locked = getInt(fd, SOL_SOCKET, SO_LOCK_FILTER) !== 0;
  }
  const devName = dev.subarray(0, dev.indexOf(0) < 0 ? dev.length : dev.indexOf(0)).toString();
  if (devName) e.so_bound_dev = devName;
  if (opts.tcp) {
    const k = getInts(fd, SOL_TCP, { cnt: TCP_KEEPCNT, idle: TCP_KEEPIDLE, intvl: TCP_KEEPINTVL });
    e.tcp_keepcnt = k.cnt;
    e.tcp_keepidle = k.idle;
    e.tcp_keepintvl = k.intvl;
  }
  return e;
}

/** Buffer sizes only: set first (before queued data is put back) and again by restoreSockOpts. */
export function restoreBufferSizes(fd: number, o: Entry): void {
  // The kernel doubles what is set and reports the doubled value: set half. FORCE: above rmem_max.
  if (o.so_buf_lock & SOCK_SNDBUF_LOCK) setInt(fd, SOL_SOCKET, SO.SNDBUFFORCE, Math.floor(o.so_sndbuf / 2));
  if (o.so_buf_lock & SOCK_RCVBUF_LOCK) setInt(fd, SOL_SOCKET, SO.RCVBUFFORCE, Math.floor(o.so_rcvbuf / 2));
}

export function restoreSockOpts(fd: number, o: Entry, opts: { tcp?: boolean } = {}): void {
  if (mutated('skip-sock-opts')) return;
  restoreBufferSizes(fd, o);
  if (o.so_buf_lock !== undefined && o.so_buf_lock !== 0) {
    try { setInt(fd, SOL_SOCKET, SO.BUF_LOCK, o.so_buf_lock); } catch { /* kernel without SO_BUF_LOCK: the sizes set above lock themselves */ }
  }
  setTimeval(fd, SO.SNDTIMEO, BigInt.asIntN(64, BigInt(o.so_snd_tmo_sec)), BigInt.asIntN(64, BigInt(o.so_snd_tmo_usec)));
  setTimeval(fd, SO.RCVTIMEO, BigInt.asIntN(64, BigInt(o.so_rcv_tmo_sec)), BigInt.asIntN(64, BigInt(o.so_rcv_tmo_usec)));
  const flag = (name: number, v: boolean | undefined) => { if (v) setInt(fd, SOL_SOCKET, name, 1); };
  flag(SO.REUSEADDR, o.reuseaddr);
  flag(SO.REUSEPORT, o.so_reuseport);
  flag(SO.PASSCRED, o.so_passcred);
  flag(SO.PASSSEC, o.so_passsec);
  flag(SO.DONTROUTE, o.so_dontroute);
  flag(SO.NO_CHECK, o.so_no_check);
  flag(SO.BROADCAST, o.so_broadcast);
  flag(SO.KEEPALIVE, o.so_keepalive);
  if (o.so_oobinline) setInt(fd, SOL_SOCKET, SO.OOBINLINE, 1);
  if (o.so_priority) setInt(fd, SOL_SOCKET, SO.PRIORITY, o.so_priority);
  if (o.so_rcvlowat !== undefined && o.so_rcvlowat !== 1) setInt(fd, SOL_SOCKET, SO.RCVLOWAT, o.so_rcvlowat);
  if (o.so_mark) setInt(fd, SOL_SOCKET, SO.MARK, o.so_mark);
  if (o.so_linger !== undefined && o.so_linger !== null) {
    const l = Buffer.alloc(8);
    l.writeInt32LE(1, 0);
    l.writeInt32LE(o.so_linger, 4);
    native.setsockopt(fd, SOL_SOCKET, SO.LINGER, l);
  }
  if (o.so_bound_dev) native.setsockopt(fd, SOL_SOCKET, SO.BINDTODEVICE, Buffer.from(o.so_bound_dev + '\0'));
  if (o.so_filter?.length) {
    const prog = Buffer.alloc(8 * o.so_filter.length);
    o.so_filter.forEach((w: bigint, i: number) => prog.writeBigUInt64LE(BigInt.asUintN(64, BigInt(w)), 8 * i));
    native.attachFilter(fd, prog);
    if (o.so_filter_locked) setInt(fd, SOL_SOCKET, SO_LOCK_FILTER, 1);
  }
  if (opts.tcp) {
    if (o.tcp_keepcnt) setInt(fd, SOL_TCP, TCP_KEEPCNT, o.tcp_keepcnt);
    if (o.tcp_keepidle) setInt(fd, SOL_TCP, TCP_KEEPIDLE, o.tcp_keepidle);
    if (o.tcp_keepintvl) setInt(fd, SOL_TCP, TCP_KEEPINTVL, o.tcp_keepintvl);
  }
}
