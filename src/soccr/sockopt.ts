/**
 * The socket options and ioctls of TCP repair as typed one-liners: integers, tcp_info's
 * first bytes, struct tcp_repair_window and the TCP_REPAIR_OPTIONS array.
 */
import { native } from '../native';
import {
  SOL_TCP, TCP_INFO, TCP_QUEUE_SEQ, TCP_REPAIR, TCP_REPAIR_OPTIONS, TCP_REPAIR_QUEUE, TCP_REPAIR_WINDOW,
  TCPOPT_MSS, TCPOPT_SACK_PERM, TCPOPT_TIMESTAMP, TCPOPT_WINDOW,
} from './constants';

export function getInt(fd: number, level: number, name: number): number {
  const b = native.getsockopt(fd, level, name, 4);
  return b.length >= 4 ? b.readInt32LE(0) : 0;
}

export function setInt(fd: number, level: number, name: number, value: number): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value | 0);
  native.setsockopt(fd, level, name, b);
}

/** Sequence numbers travel as u32 but the socket option is an int: keep both views straight. */
export function getU32(fd: number, level: number, name: number): number {
  return getInt(fd, level, name) >>> 0;
}

export function setU32(fd: number, level: number, name: number, value: number): void {
  setInt(fd, level, name, value >>> 0);
}

export const setRepair = (fd: number, mode: number): void => setInt(fd, SOL_TCP, TCP_REPAIR, mode);
export const selectQueue = (fd: number, queue: number): void => setInt(fd, SOL_TCP, TCP_REPAIR_QUEUE, queue);

/** TCP_QUEUE_SEQ of the selected queue: rcv_nxt for the receive queue, write_seq for the send queue. */
export function queueSeq(fd: number, queue: number): number {
  selectQueue(fd, queue);
  return getU32(fd, SOL_TCP, TCP_QUEUE_SEQ);
}

export function setQueueSeq(fd: number, queue: number, seq: number): void {
  selectQueue(fd, queue);
  setU32(fd, SOL_TCP, TCP_QUEUE_SEQ, seq);
}

/** The fields of struct tcp_info soccr reads (all within its first 8 bytes). */
export interface TcpInfo {
  state: number;
  /** TCPI_OPT_* bits negotiated on the handshake. */
  options: number;
  sndWscale: number;
  rcvWscale: number;
}

export function tcpInfo(fd: number): TcpInfo {
  const b = native.getsockopt(fd, SOL_TCP, TCP_INFO, 256);
  if (b.length < 8) throw new RangeError(`tcp_info is ${b.length} bytes`);
  // Byte 6 holds two 4-bit fields; on little-endian the first declared (snd) is the low nibble.
  return { state: b[0], options: b[5], sndWscale: b[6] & 0xf, rcvWscale: b[6] >> 4 };
}

/** struct tcp_repair_window: five u32 in this order. */
export interface RepairWindow {
  sndWl1: number;
  sndWnd: number;
  maxWindow: number;
  rcvWnd: number;
  rcvWup: number;
}

const WINDOW_FIELDS = ['sndWl1', 'sndWnd', 'maxWindow', 'rcvWnd', 'rcvWup'] as const;
const WINDOW_SIZE = 4 * WINDOW_FIELDS.length;

export function getRepairWindow(fd: number): RepairWindow {
  const b = native.getsockopt(fd, SOL_TCP, TCP_REPAIR_WINDOW, WINDOW_SIZE);
  if (b.length !== WINDOW_SIZE) throw new RangeError(`tcp_repair_window is ${b.length} bytes`);
  const w = {} as RepairWindow;
  WINDOW_FIELDS.forEach((k, i) => (w[k] = b.readUInt32LE(i * 4)));
  return w;
}

export function setRepairWindow(fd: number, w: RepairWindow): void {
  const b = Buffer.alloc(WINDOW_SIZE);
  WINDOW_FIELDS.forEach((k, i) => b.writeUInt32LE(w[k] >>> 0, i * 4));
  native.setsockopt(fd, SOL_TCP, TCP_REPAIR_WINDOW, b);
}

/** What the handshake negotiated, as TCP_REPAIR_OPTIONS wants it back. */
export interface RepairOptions {
  mss: number;
  /** Shift counts (kernel names: snd = the peer's, rcv = ours), or undefined when not negotiated. */
  wscale?: { snd: number; rcv: number };
  sack: boolean;
  timestamps: boolean;
}

/** An array of struct tcp_repair_opt { u32 code; u32 value; }. */
export function encodeRepairOptions(o: RepairOptions): Buffer {
  const pairs: [number, number][] = [[TCPOPT_MSS, o.mss]];
  // Both shifts in one value: low half snd_wscale (the peer's, scaling the windows it advertises
  // to us), high half rcv_wscale (ours, scaling the windows we advertise).
  if (o.wscale) pairs.push([TCPOPT_WINDOW, (o.wscale.snd & 0xffff) | ((o.wscale.rcv & 0xffff) << 16)]);
  if (o.sack) pairs.push([TCPOPT_SACK_PERM, 0]);
  if (o.timestamps) pairs.push([TCPOPT_TIMESTAMP, 0]);
  const b = Buffer.alloc(pairs.length * 8);
  pairs.forEach(([code, value], i) => {
    b.writeUInt32LE(code, i * 8);
    b.writeUInt32LE(value >>> 0, i * 8 + 4);
  });
  return b;
}

export function setRepairOptions(fd: number, o: RepairOptions): void {
  native.setsockopt(fd, SOL_TCP, TCP_REPAIR_OPTIONS, encodeRepairOptions(o));
}
