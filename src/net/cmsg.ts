/** Control messages of sendmsg/recvmsg (struct cmsghdr, x86_64 layout): fds and credentials. */

export const SOL_SOCKET = 1;
export const SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
const HDR = 16;

export interface Ucred { pid: number; uid: number; gid: number }

export interface ControlData {
  fds: number[];
  creds?: Ucred;
  /** Control messages this module does not know (level, type), kept for the error message. */
  unknown: { level: number; type: number }[];
}

const align8 = (n: number) => (n + 7) & ~7;

export function parseControl(b: Buffer): ControlData {
  const out: ControlData = { fds: [], unknown: [] };
  for (let off = 0; off + HDR <= b.length;) {
    const len = Number(b.readBigUInt64LE(off));
    if (len < HDR || off + len > b.length) break;
    const level = b.readInt32LE(off + 8), type = b.readInt32LE(off + 12);
    const data = b.subarray(off + HDR, off + len);
    if (level === SOL_SOCKET && type === SCM_RIGHTS) for (let i = 0; i + 4 <= data.length; i += 4) out.fds.push(data.readInt32LE(i));
    else if (level === SOL_SOCKET && type === SCM_CREDENTIALS && data.length >= 12) {
      out.creds = { pid: data.readInt32LE(0), uid: data.readUInt32LE(4), gid: data.readUInt32LE(8) };
    } else out.unknown.push({ level, type });
    off += align8(len);
  }
  return out;
}

function cmsg(type: number, data: Buffer): Buffer {
  const b = Buffer.alloc(align8(HDR + data.length));
  b.writeBigUInt64LE(BigInt(HDR + data.length), 0);
  b.writeInt32LE(SOL_SOCKET, 8);
  b.writeInt32LE(type, 12);
  data.copy(b, HDR);
  return b;
}

/** A control buffer carrying these fds and credentials, or null when there is nothing to carry. */
export function buildControl(fds: number[], creds?: Ucred): Buffer | null {
  const parts: Buffer[] = [];
  if (creds) {
    const c = Buffer.alloc(12);
    c.writeInt32LE(creds.pid, 0); c.writeUInt32LE(creds.uid >>> 0, 4); c.writeUInt32LE(creds.gid >>> 0, 8);
    parts.push(cmsg(SCM_CREDENTIALS, c));
  }
  if (fds.length) {
    const d = Buffer.alloc(4 * fds.length);
    fds.forEach((fd, i) => d.writeInt32LE(fd, 4 * i));
    parts.push(cmsg(SCM_RIGHTS, d));
  }
  return parts.length ? Buffer.concat(parts) : null;
}
