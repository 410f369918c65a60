/**
 * The socket options of TCP repair as typed one-liners over the native addon; the struct
 * layouts are in structs.ts.
 */
import { native } from '../native';
import { SOL_TCP, TCP_INFO, TCP_QUEUE_SEQ, TCP_REPAIR, TCP_REPAIR_OPTIONS, TCP_REPAIR_QUEUE, TCP_REPAIR_WINDOW } from './constants';
import {
  decodeRepairWindow, encodeRepairOptions, encodeRepairWindow, parseTcpInfo, WINDOW_SIZE,
  type RepairOptions, type RepairWindow, type TcpInfo,
} from './structs';

export type { RepairOptions, RepairWindow, TcpInfo };

export function getInt(fd: number, level: number, name: number): number {
  const b = native.getsockopt(fd, level, name, 4);
  return b.length >= 4 ? b.readInt32LE(0) : 0;
}

/** The option value of setInt: the call is synchronous, so one buffer serves every call. */
const intValue = Buffer.alloc(4);

export function setInt(fd: number, level: number, name: number, value: number): void {
  intValue.writeInt32LE(value | 0);
  native.setsockopt(fd, level, name, intValue);
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
  return selectedQueueSeq(fd);
}

/** TCP_QUEUE_SEQ of the queue selected last (a second read of it needs no select). */
export function selectedQueueSeq(fd: number): number {
  return getU32(fd, SOL_TCP, TCP_QUEUE_SEQ);
}

export function setQueueSeq(fd: number, queue: number, seq: number): void {
  selectQueue(fd, queue);
  setU32(fd, SOL_TCP, TCP_QUEUE_SEQ, seq);
}

export function tcpInfo(fd: number): TcpInfo {
  return parseTcpInfo(native.getsockopt(fd, SOL_TCP, TCP_INFO, 256));
}

export function getRepairWindow(fd: number): RepairWindow {
  return decodeRepairWindow(native.getsockopt(fd, SOL_TCP, TCP_REPAIR_WINDOW, WINDOW_SIZE));
}

export function setRepairWindow(fd: number, w: RepairWindow): void {
  native.setsockopt(fd, SOL_TCP, TCP_REPAIR_WINDOW, encodeRepairWindow(w));
}

export function setRepairOptions(fd: number, o: RepairOptions): void {
  native.setsockopt(fd, SOL_TCP, TCP_REPAIR_OPTIONS, encodeRepairOptions(o));
}
