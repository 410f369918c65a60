/**
 * pause() and save(): put a connected TCP socket in repair mode and read its whole state.
 *
 * Repair mode does not freeze the wire: the kernel still takes in (and acknowledges)
 * segments the peer sends and ACKs for our data. save() therefore reads each queue with
 * its sequence number twice and retries until two reads agree. The caller still has to keep
 * the peer's segments away from pause() until the restored socket exists (CRIU's "network
 * lock"): bytes acknowledged after the snapshot would be lost, and a segment arriving after
 * close() finds no socket and draws a RST that kills the connection.
 */
import { native } from '../native';
import {
  MSG_DONTWAIT, MSG_PEEK, SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, SOL_TCP, TCP_CORK, TCP_INQ, TCP_LISTEN, TCP_MAXSEG,
  TCP_NODELAY, TCP_NO_QUEUE, TCP_RECV_QUEUE, TCP_REPAIR, TCP_REPAIR_ON, TCP_SEND_QUEUE, TCP_TIMESTAMP, TCPI_OPT_SACK,
  TCPI_OPT_TIMESTAMPS, TCPI_OPT_WSCALE,
} from './constants';
import { SoccrError, TcpStateError, errnoOf, stepOf } from './errors';
import { dataLengths, finFlags, refusalReason } from './fin';
import { parseSockaddr } from './sockaddr';
import { getInt, getRepairWindow, getU32, queueSeq, selectedQueueSeq, selectQueue, setInt, setRepair, tcpInfo } from './sockopt';
import { inqFromControl, type RepairWindow } from './structs';
import type { TcpConnState } from './state';

const SNAPSHOT_ATTEMPTS = 8;
/** The first skb of the retransmit queue may be partly acknowledged; the peek returns it whole. */
const SEND_PEEK_SLACK = 256 * 1024;
const MAX_PEEK = 64 * 1024 * 1024;
const EFAULT = 14;
const EAGAIN = 11;
const ENOPROTOOPT = 92;
/** Room for one TCP_CM_INQ control message. */
const CONTROL_LEN = 64;

/** TCP_REPAIR on: the socket stops taking data from send(), and close() will send nothing. */
export function pause(fd: number): void {
  // The kernel refuses repair on a listener with a bare EPERM; say what is wrong instead.
  const { state } = stepOf(fd, 'tcp_info', () => tcpInfo(fd));
  if (state === TCP_LISTEN) throw new TcpStateError(fd, state, refusalReason(state)!);
  stepOf(fd, 'pause (TCP_REPAIR on)', () => setRepair(fd, TCP_REPAIR_ON));
}

/** MSG_PEEK of the selected queue: up to `len` bytes (an empty, live queue answers EAGAIN). */
function peek(fd: number, len: number, controlLen = 0): { data: Buffer; control: Buffer } {
  try {
    const r = native.recvmsg(fd, Math.max(1, len), controlLen, MSG_PEEK | MSG_DONTWAIT);
    return { data: r.data, control: r.control };
  } catch (e) {
    if (errnoOf(e) === EAGAIN) return { data: Buffer.alloc(0), control: Buffer.alloc(0) };
    throw e;
  }
}

interface RecvSnapshot { seq: number; data: Buffer; stable: boolean }

/**
 * SIOCINQ and a peek both stop at urgent (MSG_OOB) data, hiding what lies beyond it: compare
 * with rcv_nxt - copied_seq, which recvmsg reports in a TCP_CM_INQ message when TCP_INQ is on
 * (counting a received FIN, or 1 once the FIN was read). Undefined on kernels without it.
 */
function queuedBytes(control: Buffer, theirFin: boolean): number | undefined {
  const hint = inqFromControl(control);
  if (hint === undefined) return undefined;
  return theirFin ? Math.max(0, hint - 1) : hint;
}

function readRecvQueue(fd: number, theirFin: boolean): RecvSnapshot {
  const seq = queueSeq(fd, TCP_RECV_QUEUE);
  const inq = native.ioctlInt(fd, SIOCINQ);
  let inqWas: number | undefined;
  try {
    inqWas = getInt(fd, SOL_TCP, TCP_INQ);
    setInt(fd, SOL_TCP, TCP_INQ, 1);
  } catch {
    inqWas = undefined; // before 4.18: no way to see past urgent data
  }
  let data: Buffer, control: Buffer;
  try {
    // One byte more than SIOCINQ counts, so a queue that grew shows up as a length mismatch.
    ({ data, control } = peek(fd, inq + 1, inqWas === undefined ? 0 : CONTROL_LEN));
  } finally {
    if (inqWas !== undefined) setInt(fd, SOL_TCP, TCP_INQ, inqWas);
  }
  // Still selected: neither TCP_INQ nor a peek changes the selection.
  const stable = selectedQueueSeq(fd) === seq;
  const queued = queuedBytes(control, theirFin);
  // Nothing arrived meanwhile, yet fewer bytes readable than queued: the reads stopped at urgent data.
  if (stable && queued !== undefined && queued > data.length) {
    throw new SoccrError(fd, 'read receive queue', { reason: `${queued} bytes queued but only ${data.length} readable before urgent (MSG_OOB) data, which soccr cannot carry` });
  }
  return { seq, data, stable: stable && data.length === inq };
}

interface SendSnapshot { seq: number; data: Buffer; unsent: number; stable: boolean }

function peekSendQueue(fd: number, outq: number): Buffer {
  // The kernel copies whole skbs into the buffer and fails with EFAULT when one does not fit.
  for (let slack = SEND_PEEK_SLACK; ; slack *= 4) {
    try {
      return peek(fd, Math.min(MAX_PEEK, outq + slack)).data;
    } catch (e) {
      if (errnoOf(e) !== EFAULT || outq + slack >= MAX_PEEK) throw e;
    }
  }
}

function readSendQueue(fd: number, state: number): SendSnapshot {
  const seq = queueSeq(fd, TCP_SEND_QUEUE);
  const rawOutq = native.ioctlInt(fd, SIOCOUTQ), rawNotsent = native.ioctlInt(fd, SIOCOUTQNSD);
  const { outq, unsent } = dataLengths(state, rawOutq, rawNotsent);
  const peeked = peekSendQueue(fd, outq);
  // What the peek returns ends at write_seq; any bytes before the last `outq` were acked already.
  const data = Buffer.from(peeked.subarray(Math.max(0, peeked.length - outq)));
  const stable = data.length === outq && unsent <= outq &&
    native.ioctlInt(fd, SIOCOUTQ) === rawOutq && native.ioctlInt(fd, SIOCOUTQNSD) === rawNotsent &&
    selectedQueueSeq(fd) === seq;
  return { seq, data, unsent, stable };
}

/** TCP_REPAIR_WINDOW, or undefined before 4.8 (resume's window probe then recovers the window). */
function windowIfKnown(fd: number): RepairWindow | undefined {
  try {
    return getRepairWindow(fd);
  } catch (e) {
    if (errnoOf(e) === ENOPROTOOPT) return undefined;
    throw e;
  }
}

function endpoints(fd: number): Pick<TcpConnState, 'family' | 'local' | 'remote'> {
  const local = parseSockaddr(native.getsockname(fd));
  const remote = parseSockaddr(native.getpeername(fd));
  return { family: local.family, local: local.endpoint, remote: remote.endpoint };
}

/**
 * Reads the state of a paused connection. Throws TcpStateError for states it cannot carry
 * and SoccrError (step 'snapshot') if the connection kept changing under it.
 */
export function save(fd: number): TcpConnState {
  const info = stepOf(fd, 'tcp_info', () => tcpInfo(fd));
  const refused = refusalReason(info.state);
  if (refused) throw new TcpStateError(fd, info.state, refused);
  const repair = stepOf(fd, 'check repair mode', () => getInt(fd, SOL_TCP, TCP_REPAIR));
  if (repair !== TCP_REPAIR_ON) throw new SoccrError(fd, 'check repair mode', { reason: 'socket is not paused; call pause() first' });
  const addrs = stepOf(fd, 'read addresses', () => endpoints(fd));

  let recv: RecvSnapshot | undefined, send: SendSnapshot | undefined, stable = false;
  for (let attempt = 0; attempt < SNAPSHOT_ATTEMPTS && !stable; attempt++) {
    recv = stepOf(fd, 'read receive queue', () => readRecvQueue(fd, finFlags(info.state)!.theirFin));
    send = stepOf(fd, 'read send queue', () => readSendQueue(fd, info.state));
    stable = recv.stable && send.stable && stepOf(fd, 'tcp_info', () => tcpInfo(fd)).state === info.state;
  }
  if (!stable) {
    throw new SoccrError(fd, 'snapshot', { reason: `queues kept changing over ${SNAPSHOT_ATTEMPTS} reads; keep the peer quiet (network lock) while saving` });
  }

  const state: TcpConnState = {
    ...addrs,
    state: info.state,
    recv: { seq: recv!.seq, data: recv!.data },
    send: { seq: send!.seq, data: send!.data, unsent: send!.unsent },
    // In repair mode TCP_MAXSEG reports mss_clamp, the value TCP_REPAIR_OPTIONS takes back.
    mss: stepOf(fd, 'TCP_MAXSEG', () => getInt(fd, SOL_TCP, TCP_MAXSEG)),
    sack: (info.options & TCPI_OPT_SACK) !== 0,
    timestamps: (info.options & TCPI_OPT_TIMESTAMPS) !== 0,
    timestamp: stepOf(fd, 'TCP_TIMESTAMP', () => getU32(fd, SOL_TCP, TCP_TIMESTAMP)),
    window: stepOf(fd, 'TCP_REPAIR_WINDOW', () => windowIfKnown(fd)),
    nodelay: stepOf(fd, 'TCP_NODELAY', () => getInt(fd, SOL_TCP, TCP_NODELAY)) !== 0,
    cork: stepOf(fd, 'TCP_CORK', () => getInt(fd, SOL_TCP, TCP_CORK)) !== 0,
  };
  if (info.sndMss) state.sndMss = info.sndMss;
  if (info.options & TCPI_OPT_WSCALE) state.wscale = { snd: info.sndWscale, rcv: info.rcvWscale };
  // Leave no queue selected, so a stray send() on the paused socket fails instead of queueing.
  stepOf(fd, 'deselect queue', () => selectQueue(fd, TCP_NO_QUEUE));
  return state;
}
