/**
 * Pure parsers of the /proc files the runner records: stat, status, fdinfo, maps.
 * No I/O here, so they are tested on fixed text.
 */

export interface StatFields {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
}

/** /proc/PID/stat: comm may hold spaces and parentheses, so split after the last ')'. */
export function parseStat(text: string): StatFields {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`bad stat line: ${text.slice(0, 80)}`);
  const rest = text.slice(close + 2).split(' ');
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: Number(rest[1]),
    pgid: Number(rest[2]),
    sid: Number(rest[3]),
  };
}

/** A field of /proc/PID/status ("TracerPid", "Threads", ...), or undefined. */
export function statusField(text: string, key: string): string | undefined {
  const m = new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(text);
  return m ? m[1].trim() : undefined;
}

export interface FdInfo {
  pos: number;
  /** Octal flags as the kernel prints them, as a number. */
  flags: number;
  mntId: number;
}

/** /proc/PID/fdinfo/N: the pos/flags/mnt_id lines (the rest depends on the file kind). */
export function parseFdinfo(text: string): FdInfo {
  const get = (key: string): string | undefined => {
    const m = new RegExp(`^${key}:\\s*(\\S+)`, 'm').exec(text);
    return m ? m[1] : undefined;
  };
  return {
    pos: Number(get('pos') ?? 0),
    flags: parseInt(get('flags') ?? '0', 8),
    mntId: Number(get('mnt_id') ?? 0),
  };
}

export interface MapEntry {
  /** Hex addresses, as printed (compared as strings after normalisation). */
  start: string;
  end: string;
  perms: string;
  offset: string;
  dev: string;
  inode: number;
  /** Path, [heap]/[stack]/[vdso]..., or '' for anonymous memory. */
  path: string;
}

/** /proc/PID/maps, one entry per line. */
export function parseMaps(text: string): MapEntry[] {
  const out: MapEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+([0-9a-f]+)\s+(\S+)\s+(\d+)\s*(.*)$/.exec(line);
    if (!m) throw new Error(`bad maps line: ${line}`);
    out.push({ start: m[1], end: m[2], perms: m[3], offset: m[4], dev: m[5], inode: Number(m[6]), path: m[7] });
  }
  return out;
}

/** pid list from /proc/PID/task/TID/children ("12 34 "). */
export function parseChildren(text: string): number[] {
  return text.split(/\s+/).filter(Boolean).map(Number);
}
