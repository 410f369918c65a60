/**
 * restore() rebuilds a saved connection on a fresh socket(family, SOCK_STREAM) and leaves it
 * in repair mode; resume() lets it run. The order of the steps is forced by the kernel:
 * sequence numbers can only be set before connect (state CLOSE), TCP_REPAIR_OPTIONS only
 * after connect and before any data is sent, and what a repair-mode send() queues counts as
 * already transmitted. The full sequence is spelled out in index.ts.
 */
import { native } from '../native';
import {
  SHUT_WR, SOL_SOCKET, SOL_TCP, SO_BUF_LOCK, SO_DOMAIN, SO_REUSEADDR, TCP_CORK, TCP_MAXSEG, TCP_NODELAY, TCP_NO_QUEUE,
  TCP_CLOSE_WAIT, TCP_CLOSING, TCP_RECV_QUEUE, TCP_REPAIR_OFF, TCP_REPAIR_OFF_NO_WP, TCP_REPAIR_ON, TCP_SEND_QUEUE, TCP_TIMESTAMP, tcpStateName,
} from './constants';
import { SoccrError, stepOf } from './errors';
import { finFlags, recvStartSeq, sendStartSeq, windowFor } from './fin';
import { injectFromPeer } from './inject';
import { writeQueue, type BufferGrowth } from './queue';
import { TH_ACK, TH_FIN } from './segment';
import { encodeSockaddr } from './sockaddr';
import { getInt, selectQueue, setInt, setQueueSeq, setRepair, setRepairOptions, setRepairWindow, setU32, tcpInfo } from './sockopt';
import { validateState, type TcpConnState } from './state';

/** The largest MSS setsockopt(TCP_MAXSEG) takes (MAX_TCP_WINDOW). */
const MAX_USER_MSS = 32767;
const TCPOLEN_TSTAMP_ALIGNED = 12;

/** The user MSS that makes connect size segments as they were: the size in use plus option space. */
function userMss(s: TcpConnState): number {
  if (!s.sndMss) return s.mss;
  return Math.min(s.mss, s.sndMss + (s.timestamps ? TCPOLEN_TSTAMP_ALIGNED : 0));
}

/** How long to wait for a replayed segment to be processed (it is looped back in softirq). */
const REPLAY_WAIT_MS = 1000;

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function waitForState(fd: number, want: number, step: string): void {
  const deadline = Date.now() + REPLAY_WAIT_MS;
  for (;;) {
    const got = stepOf(fd, step, () => tcpInfo(fd)).state;
    if (got === want) return;
    if (Date.now() > deadline) {
      throw new SoccrError(fd, step, { reason: `socket is ${tcpStateName(got)}, expected ${tcpStateName(want)}` });
    }
    sleepMs(1);
  }
}

function tryGetInt(fd: number, level: number, name: number): number | undefined {
  try {
    return getInt(fd, level, name);
  } catch {
    return undefined;
  }
}

/** The window the peer last advertised, as the 16-bit field of a segment from it. */
function peerWindowField(s: TcpConnState): number {
  const wnd = s.window?.sndWnd ?? 0xffff;
  return Math.min(0xffff, wnd >>> (s.wscale?.snd ?? 0));
}

/** The part of the send queue never transmitted, plus our FIN if `withFin`. */
function writeTail(fd: number, s: TcpConnState, withFin: boolean, growth: BufferGrowth): void {
  const unsent = s.send.data.subarray(s.send.data.length - s.send.unsent);
  if (unsent.length === 0) {
    if (!withFin) return;
    // With the send queue selected, the FIN is queued as already sent (like repair-mode data):
    // resume's retransmission timer sends it again, and the peer acks it (again, if it had it).
    stepOf(fd, 'shutdown(SHUT_WR) in repair mode', () => {
      selectQueue(fd, TCP_SEND_QUEUE);
      native.shutdown(fd, SHUT_WR);
    });
    return;
  }
  // Never-sent bytes must be new data to the kernel, so they are written outside repair mode;
  // NO_WP: no window probe for this short excursion, resume() sends the one that matters.
  stepOf(fd, 'leave repair mode for the unsent part', () => setRepair(fd, TCP_REPAIR_OFF_NO_WP));
  try {
    stepOf(fd, 'write send queue (unsent part)', () => writeQueue(fd, unsent, 'send', growth));
    if (withFin) stepOf(fd, 'shutdown(SHUT_WR)', () => native.shutdown(fd, SHUT_WR));
  } finally {
    stepOf(fd, 'back to repair mode', () => setRepair(fd, TCP_REPAIR_ON));
  }
}

/**
 * Rebuilds `s` on `fd`, a new unbound socket(s.family, SOCK_STREAM, 0). On success the socket
 * is connected, in repair mode and in state s.state; call resume() to let it run. On failure it
 * stays in repair mode: close it (that sends nothing to the peer).
 */
export function restore(fd: number, s: TcpConnState): void {
  validateState(s, fd);
  const fin = finFlags(s.state)!;
  const domain = stepOf(fd, 'check socket', () => getInt(fd, SOL_SOCKET, SO_DOMAIN));
  if (domain !== s.family) throw new SoccrError(fd, 'check socket', { reason: `socket family ${domain}, state family ${s.family}` });

  // SO_REUSEADDR before TCP_REPAIR: both set sk_reuse, and repair mode's value (forced reuse,
  // which lets bind share the port with the old socket or a listener) must win. Leaving repair
  // mode clears either, so an application's own SO_REUSEADDR is for sk-opts to set afterwards.
  stepOf(fd, 'SO_REUSEADDR', () => setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1));
  stepOf(fd, 'TCP_REPAIR on', () => setRepair(fd, TCP_REPAIR_ON));
  const bufLock = tryGetInt(fd, SOL_SOCKET, SO_BUF_LOCK);
  stepOf(fd, 'bind', () => native.bind(fd, encodeSockaddr(s.family, s.local)));

  const recvStart = recvStartSeq(s.state, s.recv.seq, s.recv.data.length);
  const sendStart = sendStartSeq(s.state, s.send.seq, s.send.data.length);
  stepOf(fd, 'TCP_QUEUE_SEQ (receive)', () => setQueueSeq(fd, TCP_RECV_QUEUE, recvStart));
  stepOf(fd, 'TCP_QUEUE_SEQ (send)', () => setQueueSeq(fd, TCP_SEND_QUEUE, sendStart));
  // connect sizes its segments (mss_cache) from the MSS clamp it has then; TCP_REPAIR_OPTIONS
  // comes after connect and changes only the clamp, and nothing recomputes the size later unless
  // the path MTU changes. Without this the connection would run on the default 536-byte MSS: so
  // the saved clamp goes in first, as the user MSS. The kernel takes no user MSS above 32767
  // (MAX_TCP_WINDOW), so a loopback connection (MSS 65483) comes back with segments of 32767.
  stepOf(fd, 'TCP_MAXSEG', () => setInt(fd, SOL_TCP, TCP_MAXSEG, Math.min(userMss(s), MAX_USER_MSS)));
  // In repair mode connect sends no SYN: the socket goes straight to ESTABLISHED.
  stepOf(fd, 'connect', () => native.connect(fd, encodeSockaddr(s.family, s.remote)));
  stepOf(fd, 'TCP_REPAIR_OPTIONS', () => setRepairOptions(fd, s));
  if (s.timestamps) stepOf(fd, 'TCP_TIMESTAMP', () => setU32(fd, SOL_TCP, TCP_TIMESTAMP, s.timestamp));

  const growth: BufferGrowth = { grew: false };
  stepOf(fd, 'write receive queue', () => {
    selectQueue(fd, TCP_RECV_QUEUE);
    writeQueue(fd, s.recv.data, 'recv', growth);
  });
  // Bytes the peer may have seen: queued as sent, so they are retransmitted, never sent as new.
  stepOf(fd, 'write send queue (sent part)', () => {
    selectQueue(fd, TCP_SEND_QUEUE);
    writeQueue(fd, s.send.data.subarray(0, s.send.data.length - s.send.unsent), 'send', growth);
  });
  // Before the unsent part: setting these pushes pending data, which must be none yet.
  stepOf(fd, 'TCP_NODELAY', () => setInt(fd, SOL_TCP, TCP_NODELAY, s.nodelay ? 1 : 0));
  stepOf(fd, 'TCP_CORK', () => setInt(fd, SOL_TCP, TCP_CORK, s.cork ? 1 : 0));
  const rcvNxtNow = (recvStart + s.recv.data.length) >>> 0;
  if (s.window) stepOf(fd, 'TCP_REPAIR_WINDOW', () => setRepairWindow(fd, windowFor(s.window!, rcvNxtNow)));

  // Half-closed states: replay the FINs in the order they happened (CLOSING: ours first).
  if (fin.ourFin && fin.ourFinFirst) writeTail(fd, s, true, growth);
  if (fin.theirFin) {
    stepOf(fd, 'replay the peer\'s FIN', () =>
      injectFromPeer(s.family, s.local, s.remote, { seq: rcvNxtNow, ack: sendStart, flags: TH_FIN | TH_ACK, window: peerWindowField(s) }));
    // Their FIN moves ESTABLISHED to CLOSE_WAIT, and FIN_WAIT1 (ours went first) to CLOSING.
    waitForState(fd, fin.ourFinFirst ? TCP_CLOSING : TCP_CLOSE_WAIT, 'wait for the replayed FIN');
  }
  if (fin.ourFin && !fin.ourFinFirst) writeTail(fd, s, true, growth);
  if (!fin.ourFin) writeTail(fd, s, false, growth);
  if (fin.ourFinAcked) {
    stepOf(fd, 'replay the ack of our FIN', () =>
      injectFromPeer(s.family, s.local, s.remote, { seq: s.recv.seq, ack: s.send.seq, flags: TH_ACK, window: peerWindowField(s) }));
  }
  // Exact values now that rcv_nxt has its saved value (the replays may also have moved them).
  if (s.window) stepOf(fd, 'TCP_REPAIR_WINDOW', () => setRepairWindow(fd, s.window!));
  if (growth.grew && bufLock !== undefined) stepOf(fd, 'SO_BUF_LOCK', () => setInt(fd, SOL_SOCKET, SO_BUF_LOCK, bufLock));
  stepOf(fd, 'deselect queue', () => selectQueue(fd, TCP_NO_QUEUE));
  waitForState(fd, s.state, 'check restored state');
}

/**
 * TCP_REPAIR off: the connection runs again. TCP_REPAIR_OFF, not OFF_NO_WP: its window probe
 * (an ACK the peer must answer) fetches the peer's current window and ack at once, instead of
 * waiting for a retransmission timeout; that matters when the window was not saved, when the
 * peer's view moved while we were paused, and when it shrank to zero. It costs one segment the
 * peer treats as a duplicate ACK, and the kernel only sends it in ESTABLISHED.
 */
export function resume(fd: number): void {
  stepOf(fd, 'resume (TCP_REPAIR off)', () => setRepair(fd, TCP_REPAIR_OFF));
}
