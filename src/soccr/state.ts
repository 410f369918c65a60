/**
 * TcpConnState: everything needed to rebuild one TCP connection on a fresh socket, as a
 * plain object. Buffers hold the queues; stateToJSON/stateFromJSON carry it as text
 * (base64 queues) between processes. validateState is the gate restore() passes first.
 */
import { AF_INET, AF_INET6, TCP_MAX_WSCALE, tcpStateName } from './constants';
import { BadStateError } from './errors';
import { refusalReason } from './fin';
import { addressBytes, type Endpoint } from './sockaddr';
import type { RepairWindow } from './structs';

export interface TcpConnState {
  family: number;
  local: Endpoint;
  remote: Endpoint;
  /** tcpi_state (TCP_ESTABLISHED, TCP_FIN_WAIT1, ...). */
  state: number;
  recv: {
    /** rcv_nxt as TCP_QUEUE_SEQ reports it: one past the last byte received, counting a received FIN. */
    seq: number;
    /** Received bytes the application has not read yet. */
    data: Buffer;
  };
  send: {
    /** write_seq as TCP_QUEUE_SEQ reports it: one past the last byte queued, counting our FIN. */
    seq: number;
    /** Bytes written but not acknowledged by the peer; the FIN is not in here. */
    data: Buffer;
    /** How many bytes at the end of `data` were never transmitted. */
    unsent: number;
  };
  /** mss_clamp: the MSS the handshake settled on. */
  mss: number;
  /** tcpi_snd_mss: the segment size in use (the clamp less option space, or a smaller path MTU). */
  sndMss?: number;
  sack: boolean;
  timestamps: boolean;
  /** Window scale shifts, absent when the handshake did not negotiate scaling. */
  wscale?: { snd: number; rcv: number };
  /** TCP_TIMESTAMP: this socket's timestamp clock, so TSvals keep increasing after restore. */
  timestamp: number;
  /** TCP_REPAIR_WINDOW; absent for states saved without it (then the window probe recovers it). */
  window?: RepairWindow;
  nodelay: boolean;
  cork: boolean;
}

const isU32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

function need(fd: number, ok: boolean, field: string, reason: string): void {
  if (!ok) throw new BadStateError(fd, field, reason);
}

function checkEndpoint(fd: number, family: number, ep: Endpoint | undefined, field: string): void {
  need(fd, !!ep && typeof ep.address === 'string', field, 'missing address');
  need(fd, Number.isInteger(ep!.port) && ep!.port > 0 && ep!.port < 65536, `${field}.port`, `bad port ${ep!.port}`);
  try {
    addressBytes(family, ep!);
  } catch (e) {
    throw new BadStateError(fd, `${field}.address`, (e as Error).message);
  }
}

/** Throws BadStateError (or TcpStateError's reason) if `s` cannot describe a connection. */
export function validateState(s: TcpConnState, fd = -1): void {
  need(fd, s !== null && typeof s === 'object', 'state', 'not an object');
  need(fd, s.family === AF_INET || s.family === AF_INET6, 'family', `unsupported family ${s.family}`);
  checkEndpoint(fd, s.family, s.local, 'local');
  checkEndpoint(fd, s.family, s.remote, 'remote');
  const refused = refusalReason(s.state);
  need(fd, refused === undefined, 'state', `${tcpStateName(s.state)}: ${refused}`);
  need(fd, isU32(s.recv?.seq) && Buffer.isBuffer(s.recv.data), 'recv', 'needs a u32 seq and a Buffer');
  need(fd, isU32(s.send?.seq) && Buffer.isBuffer(s.send.data), 'send', 'needs a u32 seq and a Buffer');
  need(fd, Number.isInteger(s.send.unsent) && s.send.unsent >= 0 && s.send.unsent <= s.send.data.length, 'send.unsent', `${s.send.unsent} of ${s.send.data.length} bytes`);
  need(fd, isU32(s.mss) && s.mss > 0, 'mss', `bad MSS ${s.mss}`);
  need(fd, isU32(s.timestamp), 'timestamp', 'not a u32');
  if (s.wscale) {
    const { snd, rcv } = s.wscale;
    need(fd, Number.isInteger(snd) && Number.isInteger(rcv) && snd >= 0 && rcv >= 0 && snd <= TCP_MAX_WSCALE && rcv <= TCP_MAX_WSCALE, 'wscale', `shifts ${snd}/${rcv} out of 0..${TCP_MAX_WSCALE}`);
  }
  if (s.window) {
    const w = s.window;
    need(fd, [w.sndWl1, w.sndWnd, w.maxWindow, w.rcvWnd, w.rcvWup].every(isU32), 'window', 'fields must be u32');
    need(fd, w.maxWindow >= w.sndWnd, 'window', 'max_window is below snd_wnd');
  }
}

/** JSON text of a state; the queues as base64. */
export function stateToJSON(s: TcpConnState): string {
  return JSON.stringify({
    ...s,
    recv: { ...s.recv, data: s.recv.data.toString('base64') },
    send: { ...s.send, data: s.send.data.toString('base64') },
  });
}

/** Parses stateToJSON's text back and validates it. */
export function stateFromJSON(text: string): TcpConnState {
  const raw = JSON.parse(text);
  const b64 = (v: unknown, field: string): Buffer => {
    if (typeof v !== 'string') throw new BadStateError(-1, field, 'expected base64 text');
    return Buffer.from(v, 'base64');
  };
  const s: TcpConnState = {
    ...raw,
    recv: { ...raw.recv, data: b64(raw.recv?.data, 'recv.data') },
    send: { ...raw.send, data: b64(raw.send?.data, 'send.data') },
  };
  validateState(s);
  return s;
}
