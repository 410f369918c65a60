/**
 * Byte layouts of the structs TCP repair passes through getsockopt/setsockopt: the head of
 * struct tcp_info, struct tcp_repair_window and the struct tcp_repair_opt array. Pure.
 */
import { TCPOPT_MSS, TCPOPT_SACK_PERM, TCPOPT_TIMESTAMP, TCPOPT_WINDOW } from './constants';

/** The fields of struct tcp_info soccr reads (all within its first 8 bytes). */
export interface TcpInfo {
  state: number;
  /** TCPI_OPT_* bits negotiated on the handshake. */
  options: number;
  sndWscale: number;
  rcvWscale: number;
  /** tcpi_snd_mss: the segment size the connection sends with (mss_cache). */
  sndMss?: number;
}

export function parseTcpInfo(b: Buffer): TcpInfo {
  if (b.length < 8) throw new RangeError(`tcp_info is ${b.length} bytes`);
  // Byte 6 holds two 4-bit fields; on little-endian the first declared (snd) is the low nibble.
  const info: TcpInfo = { state: b[0], options: b[5], sndWscale: b[6] & 0xf, rcvWscale: b[6] >> 4 };
  if (b.length >= 20) info.sndMss = b.readUInt32LE(16);
  return info;
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
export const WINDOW_SIZE = 4 * WINDOW_FIELDS.length;

export function decodeRepairWindow(b: Buffer): RepairWindow {
  if (b.length !== WINDOW_SIZE) throw new RangeError(`tcp_repair_window is ${b.length} bytes`);
  const w = {} as RepairWindow;
  WINDOW_FIELDS.forEach((k, i) => (w[k] = b.readUInt32LE(i * 4)));
  return w;
}

export function encodeRepairWindow(w: RepairWindow): Buffer {
  const b = Buffer.alloc(WINDOW_SIZE);
  WINDOW_FIELDS.forEach((k, i) => b.writeUInt32LE(w[k] >>> 0, i * 4));
  return b;
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

const CMSG_HDR = 16; // struct cmsghdr on 64-bit: u64 cmsg_len, int cmsg_level, int cmsg_type
const SOL_TCP_LEVEL = 6;
const TCP_CM_INQ = 36;

/** The TCP_CM_INQ control message of a recvmsg (rcv_nxt - copied_seq), if present. */
export function inqFromControl(control: Buffer): number | undefined {
  for (let off = 0; off + CMSG_HDR <= control.length;) {
    const len = Number(control.readBigUInt64LE(off));
    if (len < CMSG_HDR || off + len > control.length) return undefined;
    if (control.readInt32LE(off + 8) === SOL_TCP_LEVEL && control.readInt32LE(off + 12) === TCP_CM_INQ && len >= CMSG_HDR + 4) {
      return control.readInt32LE(off + CMSG_HDR);
    }
    off += (len + 7) & ~7;
  }
  return undefined;
}
