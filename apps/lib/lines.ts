/** Line protocols: one request line, one answer line (or a header line and a payload). */
import type { Parser } from './conn';

export const parseLine: Parser<string> = (buf) => {
  const i = buf.indexOf(10);
  if (i < 0) {
    if (buf.length > 64 * 1024) throw new Error('no newline in 64 KiB');
    return undefined;
  }
  return { value: buf.toString('utf8', 0, i), used: i + 1 };
};

/** "BLOB n\n" + n bytes + "\n". */
export const parseBlob: Parser<Buffer> = (buf) => {
  const i = buf.indexOf(10);
  if (i < 0) return undefined;
  const m = /^BLOB (\d+)$/.exec(buf.toString('latin1', 0, i));
  if (!m) throw new Error(`expected "BLOB n", got ${JSON.stringify(buf.toString('latin1', 0, Math.min(i, 100)))}`);
  const n = Number(m[1]);
  const end = i + 1 + n;
  if (buf.length < end + 1) return undefined;
  if (buf[end] !== 10) throw new Error('blob not followed by a newline');
  return { value: Buffer.from(buf.subarray(i + 1, end)), used: end + 1 };
};
