/**
 * Half-closed connections: which FINs a TCP state implies, and what that does to the
 * sequence numbers. Pure functions; save and restore both read this one table.
 *
 * A FIN takes one sequence number. The kernel counts a received FIN in rcv_nxt (so in
 * TCP_QUEUE_SEQ of the receive queue) and a queued FIN of ours in write_seq (TCP_QUEUE_SEQ
 * of the send queue), and in SIOCOUTQ/SIOCOUTQNSD while it is unacknowledged/unsent, but
 * never in the bytes a peek returns. TcpConnState keeps both sequence numbers as the
 * kernel reports them (as CRIU's image does) and the queues as data bytes only.
 */
import {
  TCP_CLOSE, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_LAST_ACK,
  TCP_LISTEN, TCP_SYN_RECV, TCP_SYN_SENT, TCP_TIME_WAIT,
} from './constants';
import type { RepairWindow } from './structs';

export interface FinFlags {
  /** We shut down writing: a FIN of ours is queued after the send queue. */
  ourFin: boolean;
  /** ...and the peer acknowledged it. */
  ourFinAcked: boolean;
  /** The peer's FIN arrived (counted in rcv_nxt, after the receive queue). */
  theirFin: boolean;
  /** Both FINs: ours went first (CLOSING) rather than theirs (LAST_ACK). */
  ourFinFirst: boolean;
}

const flags = (ourFin: boolean, ourFinAcked: boolean, theirFin: boolean, ourFinFirst: boolean): FinFlags => ({ ourFin, ourFinAcked, theirFin, ourFinFirst });

/** The states a connection can be saved in and restored to. */
const SUPPORTED: Record<number, FinFlags> = {
  [TCP_ESTABLISHED]: flags(false, false, false, false),
  [TCP_FIN_WAIT1]: flags(true, false, false, true),
  [TCP_FIN_WAIT2]: flags(true, true, false, true),
  [TCP_CLOSE_WAIT]: flags(false, false, true, false),
  [TCP_LAST_ACK]: flags(true, false, true, false),
  [TCP_CLOSING]: flags(true, false, true, true),
};

/** Why each other state is refused. */
const REFUSED: Record<number, string> = {
  [TCP_SYN_SENT]: 'the handshake has not finished, so there is no agreed sequence space to restore',
  [TCP_SYN_RECV]: 'the handshake has not finished, so there is no agreed sequence space to restore',
  [TCP_TIME_WAIT]: 'both FINs were exchanged; what is left lives in a kernel timewait socket, not in this one',
  [TCP_CLOSE]: 'the connection is over (closed or reset): there is nothing to repair',
  [TCP_LISTEN]: 'a listening socket is not a connection; recreate it with bind and listen',
};

export function finFlags(state: number): FinFlags | undefined {
  return SUPPORTED[state];
}

export function isSupportedState(state: number): boolean {
  return state in SUPPORTED;
}

/** Why `state` cannot be saved or restored (undefined when it can). */
export function refusalReason(state: number): string | undefined {
  if (isSupportedState(state)) return undefined;
  return REFUSED[state] ?? 'not a TCP state soccr knows';
}

/** Queue lengths reported by SIOCOUTQ/SIOCOUTQNSD with our FIN taken out. */
export function dataLengths(state: number, outq: number, notsent: number): { outq: number; unsent: number } {
  const f = SUPPORTED[state];
  // Once acknowledged the FIN is out of both counts; until then it is the last byte of each
  // count that is non-zero (a sent FIN is in SIOCOUTQ only).
  if (!f || !f.ourFin || f.ourFinAcked) return { outq, unsent: notsent };
  return { outq: Math.max(0, outq - 1), unsent: Math.max(0, notsent - 1) };
}

const u32 = (n: number): number => n >>> 0;

/** The sequence number of the first byte of the saved receive queue. */
export function recvStartSeq(state: number, rcvNxt: number, inqLen: number): number {
  return u32(rcvNxt - inqLen - (SUPPORTED[state]?.theirFin ? 1 : 0));
}

/** The sequence number of the first byte of the saved send queue (the peer's last ack). */
export function sendStartSeq(state: number, writeSeq: number, outqLen: number): number {
  return u32(writeSeq - outqLen - (SUPPORTED[state]?.ourFin ? 1 : 0));
}

/** True when sequence number a comes after b (mod 2^32, as the kernel's after()). */
export function seqAfter(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

/**
 * A TCP_REPAIR_WINDOW the kernel accepts while rcv_nxt is still short of its saved value
 * (before the peer's FIN is replayed): it refuses an rcv_wup or snd_wl1 beyond what it has.
 */
export function windowFor(w: RepairWindow, rcvNxt: number): RepairWindow {
  return {
    ...w,
    rcvWup: seqAfter(w.rcvWup, rcvNxt) ? rcvNxt : w.rcvWup,
    sndWl1: seqAfter(w.sndWl1, u32(rcvNxt + w.rcvWnd)) ? rcvNxt : w.sndWl1,
  };
}
