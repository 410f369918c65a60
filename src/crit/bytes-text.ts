/**
 * The two ways crit writes bytes into JSON: MIME base64 (lines of 76
 * characters, each ending in "\n") for every bytes field and raw payload,
 * and quoted-printable (RFC 2045 style, "=XX" escapes and "=\n" soft line
 * breaks at 76 columns) for unix socket names.
 */

/** Base64 in lines of 76 characters, each line (the last too) ending in "\n"; "" for no bytes. */
export function base64Lines(data: Uint8Array): string {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  let out = '';
  for (let off = 0; off < buf.length; off += 57) out += buf.subarray(off, off + 57).toString('base64') + '\n';
  return out;
}

/** Bytes of base64 text; characters outside the alphabet (line breaks) are skipped. */
export function fromBase64(text: string): Buffer {
  return Buffer.from(text.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
}

const MAX_LINE = 76;
const HEX = '0123456789ABCDEF';

/** Quoted-printable text of `data`, line breaks in the data kept as line breaks. */
export function quotedPrintable(data: Uint8Array): string {
  const n = data.length;
  const NL = 0x0a;
  const CR = 0x0d;
  // A "\r\n" in the data makes the soft breaks "\r\n" too, decided by the first line break.
  const firstNl = data.indexOf(NL);
  const crlf = firstNl > 0 && data[firstNl - 1] === CR;
  const br = crlf ? '\r\n' : '\n';
  const out: string[] = [];
  let lineLen = 0;
  const esc = (b: number) => '=' + HEX[b >> 4] + HEX[b & 15];
  for (let i = 0; i < n; ) {
    const c = data[i];
    const next = i + 1 < n ? data[i + 1] : -1;
    const mustQuote =
      c > 126 ||
      c === 0x3d ||
      (c === 0x2e && lineLen === 0 && (next === -1 || next === NL || next === CR || next === 0)) ||
      ((c === 0x09 || c === 0x20) && i + 1 === n) ||
      (c < 33 && c !== CR && c !== NL && c !== 0x09 && c !== 0x20);
    if (mustQuote) {
      if (lineLen + 3 >= MAX_LINE) {
        out.push('=' + br);
        lineLen = 0;
      }
      out.push(esc(c));
      i++;
      lineLen += 3;
    } else if (c === NL || (c === CR && next === NL)) {
      lineLen = 0;
      // Whitespace at the end of a line is quoted.
      const last = out.length ? out[out.length - 1] : '';
      if (last === ' ' || last === '\t') out[out.length - 1] = esc(last.charCodeAt(0));
      out.push(br);
      i += c === CR ? 2 : 1;
    } else {
      if (i + 1 !== n && next !== NL && lineLen + 1 >= MAX_LINE) {
        out.push('=' + br);
        lineLen = 0;
      }
      lineLen++;
      out.push(String.fromCharCode(c));
      i++;
    }
  }
  return out.join('');
}

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/** Bytes of quoted-printable text (soft line breaks dropped, "=XX" decoded). */
export function fromQuotedPrintable(text: string): Buffer {
  const src = Buffer.from(text, 'latin1');
  const out: number[] = [];
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    if (c === 0x3d) {
      if (i + 1 >= src.length) break; // a soft break at the very end
      const a = src[i + 1];
      if (a === 0x0a) {
        i += 2;
        continue;
      }
      if (a === 0x0d && src[i + 2] === 0x0a) {
        i += 3;
        continue;
      }
      if (isHex(a) && i + 2 < src.length && isHex(src[i + 2])) {
        out.push(parseInt(String.fromCharCode(a, src[i + 2]), 16));
        i += 3;
        continue;
      }
      out.push(c);
      i++;
      continue;
    }
    out.push(c);
    i++;
  }
  return Buffer.from(out);
}
