/**
 * sk_opts_entry: the SOL_SOCKET options every socket family shares (and TCP keepalive), read from
 * a duplicate of the socket at dump and set on the new socket at restore. Buffer sizes are set
 * only where the program set them (SO_BUF_LOCK), since setting one turns autotuning off.
 */
import { native } from '../native';
import { Entry } from '../images';
import { getInt, getIntOptional, getTimeval, setInt, setTimeval, SO, SOL_SOCKET, SOL_TCP } from './sockopt';
import { mutated } from '../mutant';

const SOCK_SNDBUF_LOCK = 1, SOCK_RCVBUF_LOCK = 2;
const TCP_KEEPIDLE = 4, TCP_KEEPINTVL = 5, TCP_KEEPCNT = 6;
const SO_LOCK_FILTER = 44;

export function dumpSockOpts(fd: number, opts: { tcp?: boolean } = {}): Entry {
  const snd = getTimeval(fd, SO.SNDTIMEO), rcv = getTimeval(fd, SO.RCVTIMEO);
  const lingerB = native.getsockopt(fd, SOL_SOCKET, SO.LINGER, 8);
  const dev = native.getsockopt(fd, SOL_SOCKET, SO.BINDTODEVICE, 64);
  const e: Entry = {
    so_sndbuf: getInt(fd, SOL_SOCKET, SO.SNDBUF), so_rcvbuf: getInt(fd, SOL_SOCKET, SO.RCVBUF),
    so_snd_tmo_sec: BigInt.asUintN(64, snd.sec), so_snd_tmo_usec: BigInt.asUintN(64, snd.usec),
    so_rcv_tmo_sec: BigInt.asUintN(64, rcv.sec), so_rcv_tmo_usec: BigInt.asUintN(64, rcv.usec),
    reuseaddr: getInt(fd, SOL_SOCKET, SO.REUSEADDR) !== 0,
    so_priority: getInt(fd, SOL_SOCKET, SO.PRIORITY),
    so_rcvlowat: getInt(fd, SOL_SOCKET, SO.RCVLOWAT),
    so_mark: getInt(fd, SOL_SOCKET, SO.MARK),
    so_passcred: (getIntOptional(fd, SOL_SOCKET, SO.PASSCRED) ?? 0) !== 0,
    so_passsec: (getIntOptional(fd, SOL_SOCKET, SO.PASSSEC) ?? 0) !== 0,
    so_dontroute: getInt(fd, SOL_SOCKET, SO.DONTROUTE) !== 0,
    so_no_check: getInt(fd, SOL_SOCKET, SO.NO_CHECK) !== 0,
    so_reuseport: getInt(fd, SOL_SOCKET, SO.REUSEPORT) !== 0,
    so_broadcast: getInt(fd, SOL_SOCKET, SO.BROADCAST) !== 0,
    so_keepalive: getInt(fd, SOL_SOCKET, SO.KEEPALIVE) !== 0,
    so_oobinline: getInt(fd, SOL_SOCKET, SO.OOBINLINE),
    so_buf_lock: getIntOptional(fd, SOL_SOCKET, SO.BUF_LOCK) ?? 0,
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
    e.tcp_keepcnt = getInt(fd, SOL_TCP, TCP_KEEPCNT);
    e.tcp_keepidle = getInt(fd, SOL_TCP, TCP_KEEPIDLE);
    e.tcp_keepintvl = getInt(fd, SOL_TCP, TCP_KEEPINTVL);
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
