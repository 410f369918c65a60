/**
 * TcpConnState <-> CRIU's tcp_stream_entry (tcp-stream.proto), the entry of tcp-stream-*.img.
 * Pure functions. The entry holds only the TCP part: family, addresses and TCP state live in
 * the socket's inet_sk_entry, so fromTcpStreamEntry takes them as `conn`. In the image the
 * entry is followed by inq_len receive-queue bytes then outq_len send-queue bytes, which the
 * image layer hands over as `entry.extra`. Sequence numbers use the same convention in both
 * (as the kernel reports them, counting FINs); queue lengths never count a FIN.
 */
import { TCPI_OPT_SACK, TCPI_OPT_TIMESTAMPS, TCPI_OPT_WSCALE } from './constants';
import { BadStateError } from './errors';
import type { Endpoint } from './sockaddr';
import { validateState, type TcpConnState } from './state';

export interface TcpStreamEntry {
  inq_len: number;
  inq_seq: number;
  outq_len: number;
  outq_seq: number;
  opt_mask: number;
  snd_wscale: number;
  mss_clamp: number;
  rcv_wscale?: number;
  timestamp?: number;
  cork?: boolean;
  nodelay?: boolean;
  unsq_len?: number;
  snd_wl1?: number;
  snd_wnd?: number;
  max_window?: number;
  rcv_wnd?: number;
  rcv_wup?: number;
  /** amber's own: tcpi_snd_mss. */
  snd_mss?: number;
  /** Receive queue then send queue. */
  extra: Buffer;
}

/** What inet_sk_entry knows about the connection and tcp_stream_entry does not. */
export interface TcpConnIdentity {
  family: number;
  state: number;
  local: Endpoint;
  remote: Endpoint;
}

export function toTcpStreamEntry(s: TcpConnState): TcpStreamEntry {
  const e: TcpStreamEntry = {
    inq_len: s.recv.data.length,
    inq_seq: s.recv.seq,
    outq_len: s.send.data.length,
    outq_seq: s.send.seq,
    opt_mask: (s.timestamps ? TCPI_OPT_TIMESTAMPS : 0) | (s.sack ? TCPI_OPT_SACK : 0) | (s.wscale ? TCPI_OPT_WSCALE : 0),
    snd_wscale: s.wscale?.snd ?? 0,
    mss_clamp: s.mss,
    rcv_wscale: s.wscale?.rcv ?? 0,
    timestamp: s.timestamp,
    cork: s.cork,
    nodelay: s.nodelay,
    unsq_len: s.send.unsent,
    extra: Buffer.concat([s.recv.data, s.send.data]),
  };
  if (s.sndMss) e.snd_mss = s.sndMss;
  if (s.window) {
    e.snd_wl1 = s.window.sndWl1;
    e.snd_wnd = s.window.sndWnd;
    e.max_window = s.window.maxWindow;
    e.rcv_wnd = s.window.rcvWnd;
    e.rcv_wup = s.window.rcvWup;
  }
  return e;
}

const WINDOW_KEYS = ['snd_wl1', 'snd_wnd', 'max_window', 'rcv_wnd', 'rcv_wup'] as const;

/** Throws BadStateError when the entry's lengths do not match its payload or each other. */
export function fromTcpStreamEntry(e: TcpStreamEntry, conn: TcpConnIdentity): TcpConnState {
  const bad = (field: string, reason: string) => new BadStateError(-1, `tcp_stream_entry.${field}`, reason);
  if (!Buffer.isBuffer(e.extra)) throw bad('extra', 'missing queue bytes');
  if (e.extra.length !== e.inq_len + e.outq_len) throw bad('extra', `${e.extra.length} bytes, inq_len + outq_len say ${e.inq_len + e.outq_len}`);
  const unsent = e.unsq_len ?? 0; // images from before unsq_len treated the whole queue as sent
  if (unsent > e.outq_len) throw bad('unsq_len', `${unsent} exceeds outq_len ${e.outq_len}`);
  const present = WINDOW_KEYS.filter((k) => e[k] !== undefined);
  if (present.length !== 0 && present.length !== WINDOW_KEYS.length) throw bad('snd_wl1', `window fields are all-or-nothing, got only ${present.join(', ')}`);

  const s: TcpConnState = {
    family: conn.family,
    local: { ...conn.local },
    remote: { ...conn.remote },
    state: conn.state,
    recv: { seq: e.inq_seq, data: Buffer.from(e.extra.subarray(0, e.inq_len)) },
    send: { seq: e.outq_seq, data: Buffer.from(e.extra.subarray(e.inq_len)), unsent },
    mss: e.mss_clamp,
    sack: (e.opt_mask & TCPI_OPT_SACK) !== 0,
    timestamps: (e.opt_mask & TCPI_OPT_TIMESTAMPS) !== 0,
    timestamp: e.timestamp ?? 0,
    nodelay: e.nodelay ?? false,
    cork: e.cork ?? false,
  };
  if (e.opt_mask & TCPI_OPT_WSCALE) s.wscale = { snd: e.snd_wscale, rcv: e.rcv_wscale ?? 0 };
  if (e.snd_mss) s.sndMss = e.snd_mss;
  if (present.length) {
    s.window = { sndWl1: e.snd_wl1!, sndWnd: e.snd_wnd!, maxWindow: e.max_window!, rcvWnd: e.rcv_wnd!, rcvWup: e.rcv_wup! };
  }
  validateState(s);
  return s;
}
