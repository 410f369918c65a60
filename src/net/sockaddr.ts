/** Socket addresses as the kernel lays them out, built and parsed from raw Buffers. */

export const AF_UNSPEC = 0, AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, AF_PACKET = 17;

/** sockaddr_un for a name as unix_diag and getsockname give it (path with its NUL, or abstract). */
export function unixSockaddr(name: Buffer): Buffer {
  const b = Buffer.alloc(2 + name.length);
  b.writeUInt16LE(AF_UNIX, 0);
  name.copy(b, 2);
  return b;
}

/** The name inside a sockaddr_un (empty for an unbound socket). */
export function unixNameOf(addr: Buffer): Buffer {
  return addr.length > 2 ? Buffer.from(addr.subarray(2)) : Buffer.alloc(0);
}

export function isAbstractName(name: Buffer): boolean {
  return name.length > 0 && name[0] === 0;
}

/** The filesystem path of a path name (without its terminating NUL), or undefined for abstract ones. */
export function unixPath(name: Buffer): string | undefined {
  if (name.length === 0 || isAbstractName(name)) return undefined;
  const nul = name.indexOf(0);
  return name.subarray(0, nul < 0 ? name.length : nul).toString('latin1');
}

/** Printable form for logs and errors: "@abstract" (NULs as @) or the path. */
export function describeUnixName(name: Buffer): string {
  if (name.length === 0) return '(unnamed)';
  const p = unixPath(name);
  if (p !== undefined) return p;
  return '@' + name.subarray(1).toString('latin1').replace(/\0/g, '@');
}

export interface InetAddress {
  family: number;
  /** 4 bytes for IPv4, 16 for IPv6, as on the wire. */
  addr: Buffer;
  port: number;
  flowinfo?: number;
  scopeId?: number;
}

export function inetSockaddr(a: InetAddress): Buffer {
  if (a.family === AF_INET) {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(AF_INET, 0);
    b.writeUInt16BE(a.port, 2);
    a.addr.copy(b, 4, 0, 4);
    return b;
  }
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(a.port, 2);
  b.writeUInt32BE(a.flowinfo ?? 0, 4);
  a.addr.copy(b, 8, 0, 16);
  b.writeUInt32LE(a.scopeId ?? 0, 24);
  return b;
}

export function parseInetSockaddr(b: Buffer): InetAddress {
  const family = b.readUInt16LE(0);
  if (family === AF_INET) return { family, port: b.readUInt16BE(2), addr: Buffer.from(b.subarray(4, 8)) };
  if (family === AF_INET6) {
    return { family, port: b.readUInt16BE(2), flowinfo: b.readUInt32BE(4), addr: Buffer.from(b.subarray(8, 24)), scopeId: b.readUInt32LE(24) };
  }
  if (family === AF_UNSPEC) return { family, port: 0, addr: Buffer.alloc(0) };
  throw new TypeError(`not an inet address (family ${family})`);
}

/** CRIU keeps addresses as 32-bit words holding the raw bytes (host order reads of network bytes). */
export function addrToWords(addr: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= addr.length; i += 4) out.push(addr.readUInt32LE(i));
  return out;
}

export function wordsToAddr(words: number[] | undefined, family: number): Buffer {
  const b = Buffer.alloc(family === AF_INET ? 4 : 16);
  (words ?? []).forEach((w, i) => { if (i * 4 < b.length) b.writeUInt32LE(w >>> 0, i * 4); });
  return b;
}

export function formatInetAddress(a: InetAddress): string {
  if (a.family === AF_INET) return `${[...a.addr].join('.')}:${a.port}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(a.addr.readUInt16BE(i).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]:${a.port}`;
}
