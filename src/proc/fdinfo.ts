/** Parser for /proc/PID/fdinfo/FD: pos (decimal), flags (octal), mnt_id, ino, and type-specific rows. */
export interface FdInfo {
  pos: bigint;
  flags: number;
  mntId: number;
  ino?: number;
  rows: Map<string, string>;
  /** The whole text, for kinds with repeated rows (epoll's tfd lines). */
  text: string;
}

export function parseFdinfo(text: string): FdInfo {
  const rows = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !rows.has(line.slice(0, i))) rows.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return {
    pos: BigInt(rows.get('pos') ?? '0'),
    flags: parseInt(rows.get('flags') ?? '0', 8),
    mntId: Number(rows.get('mnt_id') ?? '-1'),
    ino: rows.has('ino') ? Number(rows.get('ino')) : undefined,
    rows,
    text,
  };
}
