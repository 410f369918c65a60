/** Typed getsockopt/setsockopt over the raw native calls. */
import { native } from '../native';
import { SysError } from '../errors';

export const SOL_SOCKET = 1, SOL_IP = 0, SOL_TCP = 6, SOL_IPV6 = 41;
export const SO = {
  REUSEADDR: 2, TYPE: 3, ERROR: 4, DONTROUTE: 5, BROADCAST: 6, SNDBUF: 7, RCVBUF: 8, KEEPALIVE: 9,
  OOBINLINE: 10, NO_CHECK: 11, PRIORITY: 12, LINGER: 13, REUSEPORT: 15, PASSCRED: 16, PEERCRED: 17,
  RCVLOWAT: 18, RCVTIMEO: 20, SNDTIMEO: 21, BINDTODEVICE: 25, ACCEPTCONN: 30, SNDBUFFORCE: 32,
  RCVBUFFORCE: 33, PASSSEC: 34, MARK: 36, PROTOCOL: 38, DOMAIN: 39, PEEK_OFF: 42, BUF_LOCK: 72,
} as const;

export function getInt(fd: number, level: number, name: number): number {
  const b = native.getsockopt(fd, level, name, 4);
  return b.length >= 4 ? b.readInt32LE(0) : b.length ? b.readUInt8(0) : 0;
}

/** The option value of setInt: the call is synchronous, so one buffer serves every call. */
const intValue = Buffer.alloc(4);

export function setInt(fd: number, level: number, name: number, v: number): void {
  intValue.writeInt32LE(v, 0);
  native.setsockopt(fd, level, name, intValue);
}

const ENOPROTOOPT = 92, EOPNOTSUPP = 95, EINVAL = 22;

/**
 * Several int options of one level in one native call: `optional` ones answer undefined where
 * the kernel does not know them (as getIntOptional), any other failure throws as getInt does.
 */
export function getInts<K extends string>(fd: number, level: number, names: Record<K, number>, optional: readonly NoInfer<K>[] = []): Record<K, number | undefined> {
  const keys = Object.keys(names) as K[];
  const r = native.getsockoptInts(fd, level, keys.map((k) => names[k]));
  const out = {} as Record<K, number | undefined>;
  keys.forEach((k, i) => {
    const err = r[2 * i + 1];
    if (!err) out[k] = r[2 * i];
    else if (optional.includes(k) && (err === ENOPROTOOPT || err === EOPNOTSUPP || err === EINVAL)) out[k] = undefined;
    else throw new SysError(err, `getsockopt(level ${level}, option ${names[k]})`, undefined, fd);
  });
  return out;
}

/**
 * Several int options of one level in one native call, each undefined where the kernel does not
 * know it (as getIntOptional, without an exception per unknown option: those made reading the
 * options of 2,000 sockets take 50 ms).
 */
export function getIntsOptional(fd: number, level: number, names: readonly number[]): (number | undefined)[] {
  const r = native.getsockoptInts(fd, level, names as number[]);
  return names.map((name, i) => {
    const err = r[2 * i + 1];
    if (!err) return r[2 * i];
    if (err === ENOPROTOOPT || err === EOPNOTSUPP || err === EINVAL) return undefined;
    throw new SysError(err, `getsockopt(level ${level}, option ${name})`, undefined, fd);
  });
}

/** getsockopt that answers undefined where the kernel does not know the option (older kernels). */
export function getIntOptional(fd: number, level: number, name: number): number | undefined {
  try {
    return getInt(fd, level, name);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOPROTOOPT' || code === 'EOPNOTSUPP' || code === 'EINVAL') return undefined;
    throw e;
  }
}

export function getTimeval(fd: number, name: number): { sec: bigint; usec: bigint } {
  const b = native.getsockopt(fd, SOL_SOCKET, name, 16);
  return { sec: b.readBigInt64LE(0), usec: b.readBigInt64LE(8) };
}

export function setTimeval(fd: number, name: number, sec: bigint, usec: bigint): void {
  const b = Buffer.alloc(16);
  b.writeBigInt64LE(sec, 0);
  b.writeBigInt64LE(usec, 8);
  native.setsockopt(fd, SOL_SOCKET, name, b);
}
