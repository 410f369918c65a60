/**
 * fh_entry, the file handle of a watched inode (inotify watches, fanotify inode marks): as
 * fdinfo shows it (`fhandle-bytes:N fhandle-type:T f_handle:HEX`) and as CRIU stores it (the
 * bytes in little-endian u64 words). Pure functions; the opening is in fhandle.ts.
 */
import { Entry } from '../images';

/** CRIU always writes this many u64 words of a handle (fh_entry_sizes.min_entries). */
const FH_WORDS = 16;

export interface FileHandle {
  type: number;
  bytes: Buffer;
}

/** The `fhandle-bytes:.. fhandle-type:.. f_handle:..` part of an fdinfo mark line, if any. */
export function parseHandle(line: string): FileHandle | undefined {
  const m = /fhandle-bytes:([0-9a-f]+)\s+fhandle-type:([0-9a-f]+)\s+f_handle:([0-9a-f]*)/i.exec(line);
  if (!m) return undefined;
  const n = parseInt(m[1], 16);
  const bytes = Buffer.from(m[3], 'hex');
  if (n === 0 || bytes.length !== n) return undefined;
  return { type: parseInt(m[2], 16), bytes };
}

/** fh_entry: the handle in little-endian u64 words, padded as CRIU pads them; path as a fallback. */
export function fhEntry(h: FileHandle, path: string | undefined): Entry {
  const words = Buffer.alloc(Math.max(FH_WORDS, Math.ceil(h.bytes.length / 8)) * 8);
  h.bytes.copy(words);
  const handle: bigint[] = [];
  for (let i = 0; i < words.length; i += 8) handle.push(words.readBigUInt64LE(i));
  return { bytes: h.bytes.length, type: h.type, handle, ...(path ? { path } : {}) };
}

export function handleOf(e: Entry): FileHandle {
  const words = Buffer.alloc((e.handle?.length ?? 0) * 8);
  (e.handle ?? []).forEach((w: bigint, i: number) => words.writeBigUInt64LE(BigInt.asUintN(64, BigInt(w)), i * 8));
  if (e.bytes > words.length) throw new Error(`file handle of ${e.bytes} bytes holds only ${words.length}`);
  return { type: e.type, bytes: words.subarray(0, e.bytes) };
}

/** The kernel's s_dev (major << 20 | minor) as mountinfo writes it (major:minor). */
export function devName(sdev: number): string {
  return `${sdev >>> 20}:${sdev & 0xfffff}`;
}

