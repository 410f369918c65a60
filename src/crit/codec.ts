/**
 * Image file <-> crit's JSON form: { "magic": NAME, "entries": [...] }.
 *
 * Each entry is its message's set fields, in field-number order (empty
 * repeated fields left out, fields absent on the wire left out), then
 * "extra" for the raw payload some kinds carry after an entry. Values:
 * enums by name, bytes as MIME base64, integers as numbers, and with
 * pretty the field formats of ./formats (hex strings, flag names, devices,
 * IP addresses, value names). Reading the JSON back accepts both forms,
 * as crit's encode does.
 *
 * amber's own fields (numbered from 1000 on) and fields CRIU added after
 * 3.17 are rendered by the same rules; crit 3.17 does not know them and
 * leaves them out.
 */
import * as protobuf from 'protobufjs';
import { FieldError, decodeMessage as decodeWire, encodeMessage as encodeWire } from '../images/wire';
import type { Entry } from '../images/image-file';
import { IMAGE_KINDS, type ImageKindName, kindByMagic } from '../images/kinds';
import { IMG_COMMON, IMG_SERVICE } from '../images/magic';
import { messageType } from '../images/schema';
import { base64Lines, fromBase64, fromQuotedPrintable, quotedPrintable } from './bytes-text';
import { FLAG_SETS, type FieldFormat, VALUE_NAMES, fieldFormat } from './formats';
import type { JsonObject, JsonValue } from './json';

/** The file's magic is no image kind amber knows (a pages-*.img has none at all). */
export class UnknownMagicError extends Error {
  constructor(readonly magic: number) {
    super(`Unknown magic ${pyHex(magic)}.\nMaybe you are feeding me an image with raw data(i.e. pages.img)?`);
  }
}

export class CritError extends Error {}

export interface DecodeOptions {
  /** crit's --pretty: field formats applied. */
  pretty?: boolean;
  /** crit show --nopl: payloads replaced by their size. */
  noPayload?: boolean;
}

/** "%#x" as Python prints it: 0x0, -0x5. */
export function pyHex(v: number | bigint): string {
  const b = BigInt(v);
  return b < 0n ? `-0x${(-b).toString(16)}` : `0x${b.toString(16)}`;
}

const LONG_TYPES = new Set(['uint64', 'int64', 'sint64', 'fixed64', 'sfixed64']);
const INT_TYPES = new Set([...LONG_TYPES, 'uint32', 'int32', 'sint32', 'fixed32', 'sfixed32']);

function sortedFields(type: protobuf.Type): protobuf.Field[] {
  return type.fieldsArray.slice().sort((a, b) => a.id - b.id);
}

// ---------------------------------------------------------------- rendering

function flagsText(value: bigint, set: ReadonlyArray<readonly [string, number]>): string {
  const names: string[] = [];
  let all = 0n;
  for (const [name, bit] of set) {
    const b = BigInt(bit);
    all |= b;
    if (value & b) names.push(name);
  }
  const rest = value & ~all;
  if (rest) names.push(pyHex(rest));
  return names.join(' | ');
}

function devText(v: bigint, fmt: FieldFormat): string {
  if (fmt.odev) {
    const major = ((v >> 8n) & 0xfffn) | ((v >> 32n) & ~0xfffn);
    const minor = (v & 0xffn) | ((v >> 12n) & ~0xffn);
    return `${major}:${minor}`;
  }
  return `${v >> 20n}:${v & ((1n << 20n) - 1n)}`;
}

const bswap32 = (w: number) => (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0;

function ipv6Text(words: number[]): string {
  const hextets: number[] = [];
  for (const w of words) hextets.push(w >>> 16, w & 0xffff);
  // The longest run (first of equals) of two or more zero groups becomes "::".
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (hextets[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && hextets[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = hextets.map((h) => h.toString(16));
  if (bestLen < 2) return hex.join(':');
  const left = hex.slice(0, best).join(':');
  const right = hex.slice(best + bestLen).join(':');
  return `${left}::${right}`;
}

function ipText(words: number[]): string {
  const host = words.map(bswap32);
  if (host.length === 1) return [host[0] >>> 24, (host[0] >>> 16) & 255, (host[0] >>> 8) & 255, host[0] & 255].join('.');
  if (host.length < 4) throw new CritError(`an IP address field holds ${host.length} words`);
  return ipv6Text(host.slice(0, 4));
}

function renderScalar(type: protobuf.Type, field: protobuf.Field, v: unknown, pretty: boolean, hex: boolean): JsonValue {
  const fmt = fieldFormat(type.name, field.name);
  if (field.resolvedType instanceof protobuf.Type) return renderMessage(field.resolvedType, v as Entry, pretty, hex);
  if (field.resolvedType instanceof protobuf.Enum) {
    const name = field.resolvedType.valuesById[v as number];
    return name ?? BigInt(v as number);
  }
  if (field.type === 'bytes') return fmt?.quoted ? quotedPrintable(v as Buffer) : base64Lines(v as Buffer);
  if (field.type === 'bool') return v as boolean;
  if (field.type === 'string') return v as string;
  if (field.type === 'double' || field.type === 'float') return v as number;
  const n = BigInt(v as number | bigint);
  if (!pretty) return n;
  if (hex || fmt?.hex) return pyHex(n);
  if (fmt?.dev) return devText(n, fmt);
  if (fmt?.flags) return flagsText(n, FLAG_SETS[fmt.flags]);
  if (fmt?.names) {
    const table = (VALUE_NAMES[fmt.names] as Record<string, Record<number, string>>)[field.name];
    return table?.[Number(n)] ?? n;
  }
  return n;
}

/** One message (amber's Entry form) as crit's JSON object. */
export function renderMessage(type: protobuf.Type, entry: Entry, pretty: boolean, hex = false): JsonObject {
  const out: JsonObject = {};
  for (const field of sortedFields(type)) {
    const v = entry[field.name];
    if (v === undefined || v === null) continue;
    const fmt = fieldFormat(type.name, field.name);
    const h = hex || fmt?.hex === true;
    if (field.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      if (pretty && fmt?.ip) out[field.name] = [ipText(list as number[])];
      else out[field.name] = list.map((x) => renderScalar(type, field, x, pretty, h));
    } else {
      out[field.name] = renderScalar(type, field, v, pretty, h);
    }
  }
  return out;
}

// ---------------------------------------------------------------- parsing JSON

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python's int(text, 0): optional sign, 0x/0o/0b prefixes, underscores between digits. */
export function pyInt(text: string): bigint {
  const s = text.trim();
  const m = /^([-+]?)(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?0)*|[1-9](?:_?\d)*)$/.exec(s);
  if (!m) throw new CritError(`invalid literal for int() with base 0: '${text}'`);
  const digits = m[2].replace(/_/g, '');
  let v: bigint;
  if (/^0[oO]/.test(digits)) v = BigInt('0o' + digits.slice(2));
  else if (/^0[bB]/.test(digits)) v = BigInt('0b' + digits.slice(2));
  else v = BigInt(digits.toLowerCase().startsWith('0x') ? '0x' + digits.slice(2) : digits.replace(/^0+(?=\d)/, ''));
  return m[1] === '-' ? -v : v;
}

function pyTruth(v: JsonValue): boolean {
  if (v === null || v === false) return false;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function parseFlags(text: string, set: ReadonlyArray<readonly [string, number]>): bigint {
  if (text === '') return 0n;
  const byName = new Map<string, number>(set.map(([n, b]) => [n, b]));
  let sum = 0n;
  for (const part of text.split('|').map((x) => x.trim())) {
    const bit = byName.get(part);
    sum += bit !== undefined ? BigInt(bit) : pyInt(part);
  }
  return sum;
}

function parseDev(text: string, fmt: FieldFormat): bigint {
  const parts = text.split(':').map((x) => pyInt10(x));
  if (parts.length !== 2) throw new CritError(`bad device '${text}': want major:minor`);
  const [major, minor] = parts;
  if (fmt.odev) return (minor & 0xffn) | ((major & 0xfffn) << 8n) | ((minor & ~0xffn) << 12n) | ((major & ~0xfffn) << 32n);
  return (major << 20n) | minor;
}

function pyInt10(text: string): bigint {
  const s = text.trim();
  if (!/^[-+]?\d(?:_?\d)*$/.test(s)) throw new CritError(`invalid literal for int() with base 10: '${text}'`);
  return BigInt(s.replace(/_/g, ''));
}

function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

function parseIPv6(s: string): number[] | undefined {
  let text = s;
  if (text.includes('.')) {
    // An IPv4 tail ("::ffff:1.2.3.4") stands for the last two groups.
    const cut = text.lastIndexOf(':');
    const v4 = parseIPv4(text.slice(cut + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, cut + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const a = groups(halves[0]);
  const b = halves.length === 2 ? groups(halves[1]) : [];
  if ([...a, ...b].some(Number.isNaN)) return undefined;
  const fill = 8 - a.length - b.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const hextets = [...a, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...b];
  const words: number[] = [];
  for (let i = 0; i < 8; i += 2) words.push(((hextets[i] << 16) | hextets[i + 1]) >>> 0);
  return words;
}

/** The words (network order, as stored) of an IP address string. */
export function ipWords(text: string): number[] {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return [bswap32(v4)];
  const v6 = parseIPv6(text.replace(/%.*$/, ''));
  if (v6) return v6.map(bswap32);
  throw new CritError(`'${text}' does not appear to be an IPv4 or IPv6 address`);
}

function parseScalar(type: protobuf.Type, field: protobuf.Field, v: JsonValue, where: string): unknown {
  const fmt = fieldFormat(type.name, field.name);
  if (field.resolvedType instanceof protobuf.Type) {
    if (!isObject(v)) throw new CritError(`${where}: an object expected for ${field.resolvedType.name}`);
    return parseMessage(field.resolvedType, v, where);
  }
  if (field.resolvedType instanceof protobuf.Enum) {
    const e = field.resolvedType;
    if (typeof v === 'string') {
      const n = e.values[v];
      if (n === undefined) throw new CritError(`${where}: '${v}' is not a value of enum ${e.name}`);
      return n;
    }
    if (typeof v === 'bigint') return Number(v);
    throw new CritError(`${where}: enum ${e.name} wants a name`);
  }
  if (field.type === 'bytes') {
    if (typeof v !== 'string') throw new CritError(`${where}: bytes want a string`);
    return fmt?.quoted ? fromQuotedPrintable(v) : fromBase64(v);
  }
  if (field.type === 'bool') return pyTruth(v);
  if (field.type === 'string') {
    if (typeof v === 'string') return v;
    if (typeof v === 'bigint' || typeof v === 'number') return String(v);
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    throw new CritError(`${where}: a string expected`);
  }
  if (field.type === 'double' || field.type === 'float') {
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'number') return v;
    if (typeof v === 'string') return Number(v);
    throw new CritError(`${where}: a number expected`);
  }
  if (!INT_TYPES.has(field.type)) throw new CritError(`${where}: unsupported field type ${field.type}`);
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number') n = BigInt(Math.trunc(v));
  else if (typeof v === 'boolean') n = v ? 1n : 0n;
  else if (typeof v === 'string') {
    if (fmt?.dev) n = parseDev(v, fmt);
    else if (fmt?.flags) n = parseFlags(v, FLAG_SETS[fmt.flags]);
    else if (fmt?.names) {
      const table = (VALUE_NAMES[fmt.names] as Record<string, Record<number, string>>)[field.name] ?? {};
      const hit = Object.entries(table).find(([, name]) => name === v);
      n = hit ? BigInt(hit[0]) : pyInt(v);
    } else n = pyInt(v);
  } else throw new CritError(`${where}: an integer expected`);
  return LONG_TYPES.has(field.type) ? n : Number(n);
}

/** crit's JSON object of one message -> amber's Entry form. Keys that are no field are ignored, as crit does. */
export function parseMessage(type: protobuf.Type, obj: JsonObject, where: string = type.name): Entry {
  const out: Entry = {};
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(obj, field.name)) continue;
    const v = obj[field.name];
    const at = `${where}.${field.name}`;
    if (field.repeated) {
      if (!Array.isArray(v)) throw new CritError(`${at}: a list expected`);
      const fmt = fieldFormat(type.name, field.name);
      if (fmt?.ip && v.length > 0 && typeof v[0] === 'string') out[field.name] = ipWords(v[0]);
      else out[field.name] = v.map((x, i) => parseScalar(type, field, x, `${at}[${i}]`));
    } else {
      out[field.name] = parseScalar(type, field, v, at);
    }
  }
  return out;
}

// ---------------------------------------------------------------- image files

/** Human-readable size as crit's --nopl prints it: 1000B, 1.5KB. */
export function humanSize(bytes: number): string {
  let num = bytes;
  for (const unit of ['', 'K', 'M', 'G', 'T', 'P', 'E', 'Z']) {
    if (num < 1024) return Number.isInteger(num) ? `${Math.trunc(num)}${unit}B` : `${num.toFixed(1)}${unit}B`;
    num /= 1024;
  }
  return `${num.toFixed(1)}YB`;
}

class Reader {
  off = 0;
  constructor(readonly data: Buffer) {}
  get left(): number {
    return this.data.length - this.off;
  }
  u32(): number {
    if (this.left < 4) throw new CritError(`truncated image: 4 bytes wanted at offset ${this.off}, ${this.left} left`);
    const v = this.data.readInt32LE(this.off);
    this.off += 4;
    return v;
  }
  bytes(n: number): Buffer {
    if (n < 0 || n > this.left) throw new CritError(`truncated image: ${n} bytes wanted at offset ${this.off}, ${this.left} left`);
    const b = this.data.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }
}

function decodeMessage(typeName: string, body: Buffer): { type: protobuf.Type; entry: Entry } {
  const type = messageType(typeName);
  try {
    return { type, entry: decodeWire(typeName, body) };
  } catch (e) {
    throw new CritError(`cannot decode ${typeName}: ${(e as Error).message}`);
  }
}

/** Reads the magic(s); the kind's name, or UnknownMagicError. */
function readKind(r: Reader): string {
  let magic = r.u32();
  if (magic === IMG_COMMON || magic === IMG_SERVICE) magic = r.u32();
  const name = kindNameByMagic(magic >>> 0);
  if (name) return name;
  const unread = UNREAD_KINDS[magic >>> 0];
  if (unread) throw new CritError(`amber has no messages for CRIU's ${unread} images (magic ${pyHex(magic >>> 0)})`);
  throw new UnknownMagicError(magic);
}

export interface CritKind {
  readonly magic: number;
  readonly message: string;
  readonly head?: string;
  readonly service?: boolean;
  readonly bare?: boolean;
  readonly extra?: { length(e: Entry): number };
}

/**
 * Kinds crit reads that amber does not write, but whose messages amber has: the per-kind
 * images of file types that older CRIU wrote before files.img held them all.
 */
const OLDER_FILE_KINDS: Record<string, CritKind> = {
  SIGNALFD: { magic: 0x57323820, message: 'signalfd_entry' },
  TIMERFD: { magic: 0x50493712, message: 'timerfd_entry' },
  INOTIFY_FILE: { magic: 0x48424431, message: 'inotify_file_entry' },
  INOTIFY_WD: { magic: 0x54562009, message: 'inotify_wd_entry' },
  FANOTIFY_FILE: { magic: 0x55096122, message: 'fanotify_file_entry' },
  FANOTIFY_MARK: { magic: 0x56506035, message: 'fanotify_mark_entry' },
  NETLINK_SK: { magic: 0x58005614, message: 'netlink_sk_entry' },
  PACKETSK: { magic: 0x60454618, message: 'packet_sock_entry' },
};

/** CRIU kinds amber has no messages for (namespaces, mounts, cgroups, IPC, ...), by magic: named in the error. */
const UNREAD_KINDS: Record<number, string> = {
  0x54473203: 'UTSNS', 0x43114433: 'TIMENS', 0x61157326: 'PIDNS', 0x53115007: 'IPC_VAR', 0x59383330: 'CGROUP',
  0x61394011: 'NS_FILES', 0x55563928: 'MNTS', 0x57143751: 'TUNFILE', 0x57004059: 'IRMAP_CACHE', 0x57373951: 'NETDEV',
  0x46283044: 'IPCNS_SHM', 0x59573019: 'IPCNS_SEM', 0x55453737: 'IPCNS_MSG', 0x55933752: 'NETNS', 0x55474906: 'USERNS',
  0x49353943: 'AUTOFS', 0x61404013: 'CPUINFO', 0x57506142: 'BPFMAP_FILE', 0x64324033: 'BPFMAP_DATA', 0x59423047: 'APPARMOR',
};

/** The kind crit names `name`: amber's, or an older per-type file image. */
export function critKind(name: string): CritKind | undefined {
  if (Object.prototype.hasOwnProperty.call(IMAGE_KINDS, name)) return IMAGE_KINDS[name as ImageKindName] as CritKind;
  return Object.prototype.hasOwnProperty.call(OLDER_FILE_KINDS, name) ? OLDER_FILE_KINDS[name] : undefined;
}

function kindNameByMagic(magic: number): string | undefined {
  const k = kindByMagic(magic);
  if (k) return k;
  return Object.keys(OLDER_FILE_KINDS).find((n) => OLDER_FILE_KINDS[n].magic === magic);
}

/** An image file as crit's JSON form. */
export function decodeImageJson(data: Buffer, opts: DecodeOptions = {}): JsonObject {
  const pretty = opts.pretty === true;
  const r = new Reader(data);
  const kind = readKind(r);
  const k = critKind(kind) as CritKind;
  const entries: JsonValue[] = [];
  const next = (typeName: string) => {
    const len = r.u32();
    return decodeMessage(typeName, r.bytes(len));
  };
  if (kind === 'GHOST_FILE') {
    const head = next('ghost_file_entry');
    const json = renderMessage(head.type, head.entry, pretty);
    entries.push(json);
    if (head.entry.chunks) {
      while (r.left > 0) {
        const c = next('ghost_chunk_entry');
        const cj = renderMessage(c.type, c.entry, pretty);
        const payload = r.bytes(Number(c.entry.len));
        if (!opts.noPayload) cj.extra = base64Lines(payload);
        entries.push(cj);
      }
    } else {
      const rest = r.bytes(r.left);
      if (!opts.noPayload) json.extra = base64Lines(rest);
    }
  } else {
    for (let i = 0; r.left > 0; i++) {
      const { type, entry } = next(i === 0 && k.head ? k.head : k.message);
      const json = renderMessage(type, entry, pretty);
      const extra = i === 0 && k.head ? undefined : k.extra?.length(entry);
      if (extra !== undefined) {
        if (opts.noPayload) {
          json.extra = `... <${humanSize(extra)}>`;
          r.bytes(kind === 'TCP_STREAM' ? r.left : extra);
        } else if (kind === 'TCP_STREAM') {
          json.extra = { inq: base64Lines(r.bytes(entry.inq_len)), outq: base64Lines(r.bytes(entry.outq_len)) };
        } else {
          json.extra = base64Lines(r.bytes(extra));
        }
      }
      entries.push(json);
    }
  }
  return { magic: kind, entries };
}

/** Magic and entry count of an image file, as crit info reports them (pagemap: not counting its head). */
export function imageInfo(data: Buffer): JsonObject {
  const json = decodeImageJson(data, { noPayload: true });
  const n = (json.entries as JsonValue[]).length;
  return { magic: json.magic, count: BigInt(json.magic === 'PAGEMAP' ? n - 1 : n) };
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

function encodeMessage(typeName: string, obj: JsonValue, where: string): Buffer {
  const type = messageType(typeName);
  if (!isObject(obj)) throw new CritError(`${where}: an entry must be an object`);
  let body: Uint8Array;
  try {
    body = encodeWire(typeName, parseMessage(type, obj, where));
  } catch (e) {
    if (e instanceof FieldError) throw new CritError(e.message);
    throw e;
  }
  return Buffer.concat([u32(body.length), Buffer.from(body)]);
}

function payload(v: JsonValue | undefined, where: string): Buffer {
  if (v === undefined || v === '' || v === null) return Buffer.alloc(0);
  if (typeof v !== 'string') throw new CritError(`${where}.extra: base64 text expected`);
  return fromBase64(v);
}

/** crit's JSON form of an image -> the image file's bytes. */
export function encodeImageJson(img: JsonValue): Buffer {
  if (!isObject(img) || typeof img.magic !== 'string' || !Array.isArray(img.entries)) throw new CritError('an image is an object with "magic" and "entries"');
  const kind = img.magic;
  const k = critKind(kind);
  if (!k) throw new CritError(`No handler found for image with magic ${kind}`);
  const out: Buffer[] = [];
  if (!k.bare) out.push(u32(k.service ? IMG_SERVICE : IMG_COMMON));
  out.push(u32(k.magic));
  const entries = img.entries;
  if (kind === 'GHOST_FILE') {
    if (entries.length === 0) throw new CritError('a GHOST_FILE image needs its ghost_file_entry');
    const head = entries[0];
    out.push(encodeMessage('ghost_file_entry', head, 'entries[0]'));
    const chunks = isObject(head) && pyTruth(head.chunks ?? false);
    if (chunks) {
      entries.slice(1).forEach((e, i) => {
        out.push(encodeMessage('ghost_chunk_entry', e, `entries[${i + 1}]`));
        out.push(payload(isObject(e) ? e.extra : undefined, `entries[${i + 1}]`));
      });
    } else {
      out.push(payload(isObject(head) ? head.extra : undefined, 'entries[0]'));
    }
    return Buffer.concat(out);
  }
  entries.forEach((e, i) => {
    const where = `entries[${i}]`;
    out.push(encodeMessage(i === 0 && k.head ? k.head : k.message, e, where));
    if (i === 0 && k.head) return;
    if (!k.extra) return;
    const extra = isObject(e) ? e.extra : undefined;
    if (kind === 'TCP_STREAM') {
      if (extra === undefined || extra === null) return;
      if (!isObject(extra)) throw new CritError(`${where}.extra: {"inq": ..., "outq": ...} expected`);
      out.push(payload(extra.inq, `${where}.inq`), payload(extra.outq, `${where}.outq`));
    } else {
      out.push(payload(extra, where));
    }
  });
  return Buffer.concat(out);
}
