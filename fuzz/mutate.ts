/**
 * Image mutations for the fuzzer: raw ones (bit flips, bytes, truncation, garbage, lengths and
 * magics) and structured ones (an entry dropped or duplicated, a field of a decoded entry set
 * to an edge of its type and encoded again, so that the file is well-formed and only its
 * meaning is wrong). Every choice comes from a seeded generator: a finding is replayed from
 * its seed and iteration number alone.
 */
import { decodeImage, detectKind, encodeImage, type Entry, type ImageKindName } from '../src/images';
import { MESSAGE_SPECS, ENUM_SPECS } from '../src/images/message-specs';
import type { FieldSpec } from '../src/images/wire';
import { IMAGE_KINDS } from '../src/images/kinds';

/** xorshift128+: small, fast, and the same sequence for the same seed everywhere. */
export class Rng {
  private a: bigint;
  private b: bigint;
  constructor(seed: number) {
    this.a = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n + 1n);
    this.b = BigInt.asUintN(64, (this.a ^ 0xdeadbeefcafebaben) * 0xbf58476d1ce4e5b9n);
    for (let i = 0; i < 8; i++) this.next();
  }
  next(): bigint {
    let x = this.a;
    const y = this.b;
    this.a = y;
    x = BigInt.asUintN(64, x ^ (x << 23n));
    this.b = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return BigInt.asUintN(64, this.b + y);
  }
  /** 0 <= n < max */
  int(max: number): number {
    return max <= 0 ? 0 : Number(this.next() % BigInt(max));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

export interface Mutation {
  /** What was done, for the report. */
  what: string;
  /** The new bytes of the file, or null to delete it. */
  data: Buffer | null;
}

const EDGE_U32 = [0, 1, 2, 0x7f, 0x80, 0xfff, 0x1000, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const EDGE_U64 = [0n, 1n, 0xfffn, 0x1000n, 0x7fffffffn, 0xffffffffn, 0x100000000n, 0x7ffffffff000n, 0x800000000000n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];

/** Entry boundaries of a framed image: [start of length prefix, end of entry] (payloads make this approximate). */
function entrySpans(data: Buffer, headerSize: number): [number, number][] {
  const spans: [number, number][] = [];
  for (let off = headerSize; off + 4 <= data.length;) {
    const len = data.readUInt32LE(off);
    if (off + 4 + len > data.length) break;
    spans.push([off, off + 4 + len]);
    off += 4 + len;
  }
  return spans;
}

function headerSize(data: Buffer, file: string): number {
  try {
    return (IMAGE_KINDS[detectKind(data, file)] as { bare?: boolean }).bare ? 4 : 8;
  } catch {
    return 8;
  }
}

/** An edge value of a field's type (in range, so that encoding succeeds). */
function edgeValue(rng: Rng, f: FieldSpec): unknown {
  switch (f.type) {
    case 'uint32': case 'fixed32': return rng.pick(EDGE_U32);
    case 'int32': case 'sint32': case 'sfixed32': return rng.pick([0, 1, -1, 0x7fffffff, -0x80000000, 4096, -4096]);
    case 'uint64': case 'fixed64': return rng.pick(EDGE_U64);
    case 'int64': case 'sint64': case 'sfixed64': return rng.pick([0n, 1n, -1n, (1n << 63n) - 1n, -(1n << 63n), 0x7ffffffff000n]);
    case 'bool': return rng.int(2) === 1;
    case 'enum': return rng.pick(ENUM_SPECS[f.ref!]?.values ?? [0]);
    case 'string': return rng.pick(['', '/', '..', '../../../../etc/passwd', '/proc/self/mem', 'x'.repeat(5000), '\u00ff\u0000']);
    case 'bytes': return rng.pick([Buffer.alloc(0), Buffer.alloc(1), Buffer.alloc(100000, 0xff)]);
    default: return 0;
  }
}

/** Every scalar (or repeated) field reachable in an entry, as a path and its spec. */
function fieldSlots(entry: Entry, typeName: string, out: { holder: Entry; spec: FieldSpec }[] = []): { holder: Entry; spec: FieldSpec }[] {
  const spec = MESSAGE_SPECS[typeName];
  if (!spec) return out;
  for (const f of spec.fields) {
    const v = entry[f.name];
    if (f.type === 'message') {
      if (f.rule === 'repeated' && Array.isArray(v)) v.forEach((item: Entry) => fieldSlots(item, f.ref!, out));
      else if (v && typeof v === 'object') fieldSlots(v, f.ref!, out);
      continue;
    }
    out.push({ holder: entry, spec: f });
  }
  return out;
}

function messageOf(kind: ImageKindName, index: number): string {
  const k = IMAGE_KINDS[kind] as { message: string; head?: string };
  return index === 0 && k.head ? k.head : k.message;
}

/** A structured mutation: one field of one entry at an edge value, the file encoded again. */
function mutateField(rng: Rng, data: Buffer, file: string): Mutation | undefined {
  let kind: ImageKindName;
  let entries: Entry[];
  try {
    kind = detectKind(data, file);
    entries = decodeImage(kind, data, file);
  } catch {
    return undefined;
  }
  if (entries.length === 0) return undefined;
  const i = rng.int(entries.length);
  const slots = fieldSlots(entries[i], messageOf(kind, i));
  if (slots.length === 0) return undefined;
  const { holder, spec } = rng.pick(slots);
  let value: unknown;
  let what: string;
  if (spec.rule === 'repeated') {
    const list = Array.isArray(holder[spec.name]) ? [...holder[spec.name]] : [];
    if (list.length && rng.int(2) === 0) {
      list.splice(rng.int(list.length), 1);
      what = `removed an item of ${spec.name}`;
    } else {
      list.push(edgeValue(rng, spec));
      what = `added an item to ${spec.name}`;
    }
    value = list;
  } else if (spec.rule === 'optional' && holder[spec.name] !== undefined && rng.int(4) === 0) {
    value = undefined;
    what = `dropped ${spec.name}`;
  } else {
    value = edgeValue(rng, spec);
    what = `${spec.name} = ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : Buffer.isBuffer(value) ? `${value.length} bytes` : String(value)}`;
  }
  holder[spec.name] = value;
  try {
    return { what: `entry ${i}: ${what}`, data: encodeImage(kind, entries) };
  } catch {
    return undefined; // e.g. an extra payload whose declared length the new value changed
  }
}

/** One mutation of `data` (the bytes of `file`). `raw` limits it to truncation/extension (pages files). */
export function mutate(rng: Rng, data: Buffer, file: string, rawOnly = false): Mutation {
  const kinds = rawOnly ? ['truncate', 'extend', 'delete'] : ['flip', 'byte', 'truncate', 'extend', 'length', 'magic', 'delete', 'dup-entry', 'drop-entry', 'field', 'field', 'field', 'field'];
  for (;;) {
    const k = rng.pick(kinds);
    const b = Buffer.from(data);
    switch (k) {
      case 'flip': {
        if (!b.length) continue;
        const at = rng.int(b.length);
        const bit = rng.int(8);
        b[at] ^= 1 << bit;
        return { what: `bit ${bit} of byte ${at} flipped`, data: b };
      }
      case 'byte': {
        if (!b.length) continue;
        const at = rng.int(b.length);
        b[at] = rng.pick([0, 0xff, 0x80, 0x7f, rng.int(256)]);
        return { what: `byte ${at} = ${b[at]}`, data: b };
      }
      case 'truncate': {
        const len = rng.int(b.length);
        return { what: `truncated to ${len} of ${b.length} bytes`, data: b.subarray(0, len) };
      }
      case 'extend': {
        const n = rng.pick([1, 7, 4096, 65536]);
        const fill = Buffer.alloc(n);
        for (let i = 0; i < n; i++) fill[i] = rng.int(256);
        return { what: `${n} bytes of garbage appended`, data: Buffer.concat([b, fill]) };
      }
      case 'length': {
        const spans = entrySpans(b, headerSize(b, file));
        if (!spans.length) continue;
        const [at] = rng.pick(spans);
        const v = rng.pick([0, 1, 0xffffffff, 0x7fffffff, b.readUInt32LE(at) + 1, b.readUInt32LE(at) + 1000]);
        b.writeUInt32LE(v >>> 0, at);
        return { what: `length prefix at ${at} = ${v}`, data: b };
      }
      case 'magic': {
        if (b.length < 8) continue;
        const at = rng.pick([0, 4]);
        b.writeUInt32LE(rng.int(0x100000000), at);
        return { what: `magic at ${at} replaced`, data: b };
      }
      case 'delete':
        return { what: 'file deleted', data: null };
      case 'dup-entry':
      case 'drop-entry': {
        const spans = entrySpans(b, headerSize(b, file));
        if (!spans.length) continue;
        const [s, e] = rng.pick(spans);
        const piece = b.subarray(s, e);
        return k === 'dup-entry'
          ? { what: `entry at ${s} duplicated`, data: Buffer.concat([b.subarray(0, e), piece, b.subarray(e)]) }
          : { what: `entry at ${s} removed`, data: Buffer.concat([b.subarray(0, s), b.subarray(e)]) };
      }
      case 'field': {
        const m = mutateField(rng, b, file);
        if (m) return m;
        continue;
      }
    }
  }
}
