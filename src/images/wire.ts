/**
 * amber's protobuf codec for image entries: straight between amber's plain entries (64-bit
 * integers as bigint, bytes as Buffers, enums as numbers) and the wire format, driven by the
 * message specs generated from the .proto files (message-specs.ts). It checks every value
 * against its field while encoding, and fields absent on the wire stay absent when decoding
 * (defaults are not filled in; repeated fields are always arrays). Encoding is in field-number
 * order, as protobufjs and CRIU's protobuf-c do, so images are byte-identical to theirs.
 */
import type { Entry } from './image-file';
import { ENUM_SPECS, MESSAGE_SPECS } from './message-specs';

export type ScalarType =
  | 'uint32' | 'int32' | 'sint32' | 'fixed32' | 'sfixed32'
  | 'uint64' | 'int64' | 'sint64' | 'fixed64' | 'sfixed64'
  | 'bool' | 'string' | 'bytes' | 'double' | 'float';

export interface FieldSpec {
  name: string;
  id: number;
  rule: 'required' | 'optional' | 'repeated';
  type: ScalarType | 'message' | 'enum';
  /** The message or enum type's full name, for type 'message' or 'enum'. */
  ref?: string;
  packed?: boolean;
}

export interface MessageSpec { name: string; fields: FieldSpec[] }
export interface EnumSpec { name: string; values: number[] }

/** A value that does not fit its field, or bytes that are not a valid message; names the field path. */
export class FieldError extends Error {}

/** A message spec with its lookups built once. */
interface Compiled {
  name: string;
  fields: FieldSpec[];
  byName: Map<string, FieldSpec>;
  byId: Map<number, FieldSpec>;
  required: FieldSpec[];
}

const compiled = new Map<string, Compiled>();
const enumValues = new Map<string, Set<number>>();

function compiledSpec(fullName: string): Compiled {
  let c = compiled.get(fullName);
  if (c) return c;
  const spec = MESSAGE_SPECS[fullName];
  if (!spec) throw new FieldError(`no message type '${fullName}'`);
  c = {
    name: spec.name,
    fields: spec.fields,
    byName: new Map(spec.fields.map((f) => [f.name, f])),
    byId: new Map(spec.fields.map((f) => [f.id, f])),
    required: spec.fields.filter((f) => f.rule === 'required'),
  };
  compiled.set(fullName, c);
  return c;
}

function enumSet(fullName: string): Set<number> {
  let s = enumValues.get(fullName);
  if (!s) {
    s = new Set(ENUM_SPECS[fullName]?.values ?? []);
    enumValues.set(fullName, s);
  }
  return s;
}

/** Whether `name` is a message type of the images. */
export function hasMessage(name: string): boolean {
  return name in MESSAGE_SPECS;
}

// ---------------------------------------------------------------------------------------------
// Encoding

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

class Writer {
  buf = Buffer.allocUnsafe(256);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  /** An unsigned value below 2^32. */
  varint32(v: number): void {
    this.ensure(5);
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  /** A 64-bit value as two unsigned 32-bit halves. */
  varint64(lo: number, hi: number): void {
    if (hi === 0) return this.varint32(lo);
    this.ensure(10);
    while (hi > 0 || lo > 0x7f) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
  }

  uvarintBig(v: bigint): void {
    // Most 64-bit fields hold small values: one comparison instead of two BigInt operations.
    if (v <= 0xffffffffn) this.varint32(Number(v));
    else this.varint64(Number(v & 0xffffffffn), Number(v >> 32n));
  }

  tag(id: number, wire: number): void {
    this.varint32(((id << 3) | wire) >>> 0);
  }

  bytes(b: Uint8Array): void {
    this.varint32(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.varint32(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, n, 'utf8');
  }

  /** Starts a length-delimited part: one byte kept for its length, fixed by closeDelimited. */
  openDelimited(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Puts the length of what was written since openDelimited in front of it. */
  closeDelimited(start: number): void {
    const len = this.pos - start - 1;
    if (len < 0x80) {
      this.buf[start] = len;
      return;
    }
    let n = 1;
    for (let v = len; v > 0x7f; v >>>= 7) n++;
    this.ensure(n - 1);
    this.buf.copyWithin(start + n, start + 1, this.pos);
    this.pos += n - 1;
    const end = this.pos;
    this.pos = start;
    this.varint32(len);
    this.pos = end;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/**
 * Where a value sits (message.field[index]), for error messages only: built when a check fails,
 * not for every value written (that string building was a third of encoding a large image).
 */
function pathOf(parent: string, name: string, index: number): string {
  return index < 0 ? `${parent}.${name}` : `${parent}.${name}[${index}]`;
}

function intValue(v: unknown, type: string, min: number, max: number, parent: string, name: string, index: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new FieldError(`${pathOf(parent, name, index)}: ${type} must be an integer number, got ${typeof v === 'number' ? v : typeof v}`);
  if (v < min || v > max) throw new FieldError(`${pathOf(parent, name, index)}: ${v} out of range for ${type}`);
  return v;
}

function bigValue(v: unknown, type: string, min: bigint, max: bigint, parent: string, name: string, index: number): bigint {
  if (typeof v !== 'bigint') throw new FieldError(`${pathOf(parent, name, index)}: ${type} must be a bigint, got ${typeof v}`);
  if (v < min || v > max) throw new FieldError(`${pathOf(parent, name, index)}: ${v} out of range for ${type}`);
  return v;
}

/** The wire type a field's single value is written with. */
function wireOf(f: FieldSpec): number {
  switch (f.type) {
    case 'fixed64': case 'sfixed64': case 'double': return WIRE_FIXED64;
    case 'fixed32': case 'sfixed32': case 'float': return WIRE_FIXED32;
    case 'string': case 'bytes': case 'message': return WIRE_LEN;
    default: return WIRE_VARINT;
  }
}

/** Writes one value of field f of a message at `parent` (no tag), checking it fits; index -1 for a single value. */
function writeValue(w: Writer, f: FieldSpec, v: unknown, parent: string, index: number): void {
  const name = f.name;
  switch (f.type) {
    case 'uint32': w.varint32(intValue(v, 'uint32', 0, 0xffffffff, parent, name, index)); return;
    case 'int32': {
      const n = intValue(v, 'int32', -0x80000000, 0x7fffffff, parent, name, index);
      // Negative int32s are sign-extended to 64 bits on the wire (ten bytes).
      if (n < 0) w.varint64(n >>> 0, 0xffffffff); else w.varint32(n);
      return;
    }
    case 'sint32': {
      const n = intValue(v, 'sint32', -0x80000000, 0x7fffffff, parent, name, index);
      w.varint32(((n << 1) ^ (n >> 31)) >>> 0);
      return;
    }
    case 'fixed32': case 'sfixed32': {
      const n = f.type === 'fixed32' ? intValue(v, 'fixed32', 0, 0xffffffff, parent, name, index) : intValue(v, 'sfixed32', -0x80000000, 0x7fffffff, parent, name, index);
      w.ensure(4);
      w.buf.writeUInt32LE(n >>> 0, w.pos);
      w.pos += 4;
      return;
    }
    case 'uint64': w.uvarintBig(bigValue(v, 'uint64', 0n, U64_MAX, parent, name, index)); return;
    case 'int64': w.uvarintBig(BigInt.asUintN(64, bigValue(v, 'int64', I64_MIN, I64_MAX, parent, name, index))); return;
    case 'sint64': {
      const n = bigValue(v, 'sint64', I64_MIN, I64_MAX, parent, name, index);
      w.uvarintBig(BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
      return;
    }
    case 'fixed64': case 'sfixed64': {
      const n = f.type === 'fixed64' ? bigValue(v, 'fixed64', 0n, U64_MAX, parent, name, index) : bigValue(v, 'sfixed64', I64_MIN, I64_MAX, parent, name, index);
      w.ensure(8);
      w.buf.writeBigUInt64LE(BigInt.asUintN(64, n), w.pos);
      w.pos += 8;
      return;
    }
    case 'bool':
      if (typeof v !== 'boolean') throw new FieldError(`${pathOf(parent, name, index)}: bool must be a boolean, got ${typeof v}`);
      w.varint32(v ? 1 : 0);
      return;
    case 'string':
      if (typeof v !== 'string') throw new FieldError(`${pathOf(parent, name, index)}: string expected, got ${typeof v}`);
      w.string(v);
      return;
    case 'bytes':
      if (!(v instanceof Uint8Array)) throw new FieldError(`${pathOf(parent, name, index)}: bytes must be a Buffer`);
      w.bytes(v);
      return;
    case 'double': case 'float':
      if (typeof v !== 'number') throw new FieldError(`${pathOf(parent, name, index)}: ${f.type} must be a number`);
      w.ensure(8);
      if (f.type === 'double') { w.buf.writeDoubleLE(v, w.pos); w.pos += 8; } else { w.buf.writeFloatLE(v, w.pos); w.pos += 4; }
      return;
    case 'enum': {
      if (typeof v !== 'number' || !enumSet(f.ref!).has(v)) throw new FieldError(`${pathOf(parent, name, index)}: ${String(v)} is not a value of enum ${ENUM_SPECS[f.ref!]?.name ?? f.ref}`);
      if (v < 0) w.varint64(v >>> 0, 0xffffffff); else w.varint32(v);
      return;
    }
    case 'message': {
      const spec = compiledSpec(f.ref!);
      const start = w.openDelimited();
      writeMessage(w, spec, v, pathOf(parent, name, index));
      w.closeDelimited(start);
      return;
    }
  }
}

function writeMessage(w: Writer, spec: Compiled, entry: unknown, where: string): void {
  if (!isPlainObject(entry)) throw new FieldError(`${where}: ${spec.name} must be an object`);
  // A key that is no field is looked for only when the keys outnumber the fields written (a
  // for-in with a Map lookup per key was a third of the encoding of a core image).
  let written = 0;
  for (const f of spec.fields) {
    const v = entry[f.name];
    if (v === undefined) {
      if (f.rule === 'required') throw new FieldError(`${where}: missing required field '${f.name}'`);
      continue;
    }
    written++;
    if (f.rule !== 'repeated') {
      w.tag(f.id, wireOf(f));
      writeValue(w, f, v, where, -1);
      continue;
    }
    if (!Array.isArray(v)) throw new FieldError(`${where}.${f.name}: repeated field must be an array`);
    if (f.packed) {
      if (v.length === 0) continue;
      w.tag(f.id, WIRE_LEN);
      const start = w.openDelimited();
      for (let i = 0; i < v.length; i++) writeValue(w, f, v[i], where, i);
      w.closeDelimited(start);
      continue;
    }
    const wire = wireOf(f);
    for (let i = 0; i < v.length; i++) {
      w.tag(f.id, wire);
      writeValue(w, f, v[i], where, i);
    }
  }
  if (Object.keys(entry).length > written) {
    for (const key in entry) {
      if (entry[key] !== undefined && !spec.byName.has(key)) throw new FieldError(`${where}: ${spec.name} has no field '${key}'`);
    }
  }
}

/** The protobuf encoding of `entry` as message `typeName`. Throws FieldError naming the field. */
export function encodeMessage(typeName: string, entry: Entry): Buffer {
  const spec = compiledSpec(typeName);
  const w = new Writer();
  writeMessage(w, spec, entry, spec.name);
  return w.buf.subarray(0, w.pos);
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Reader {
  constructor(readonly buf: Buffer, public pos: number, readonly end: number, readonly where: string) {}

  fail(what: string): never {
    throw new FieldError(`${this.where}: ${what} at byte ${this.pos}`);
  }

  /** The low 32 bits of a varint of up to ten bytes, unsigned. */
  varint32(): number {
    let v = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      if (shift < 32) v |= (b & 0x7f) << shift;
      if (b < 0x80) return v >>> 0;
    }
    return this.fail('varint longer than ten bytes');
  }

  /** A varint of up to ten bytes as an unsigned 64-bit bigint. */
  varint64(): bigint {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) return hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    }
    return this.fail('varint longer than ten bytes');
  }

  take(n: number): number {
    if (n > this.end - this.pos) this.fail(`truncated: ${n} bytes declared, ${this.end - this.pos} left`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT: this.varint32(); return;
      case WIRE_FIXED64: this.take(8); return;
      case WIRE_LEN: this.take(this.varint32()); return;
      case WIRE_FIXED32: this.take(4); return;
      default: this.fail(`unsupported wire type ${wire}`);
    }
  }
}

function readValue(r: Reader, f: FieldSpec): unknown {
  switch (f.type) {
    case 'uint32': return r.varint32();
    case 'int32': case 'enum': return r.varint32() | 0;
    case 'sint32': { const n = r.varint32(); return (n >>> 1) ^ -(n & 1); }
    case 'fixed32': return r.buf.readUInt32LE(r.take(4));
    case 'sfixed32': return r.buf.readInt32LE(r.take(4));
    case 'uint64': return r.varint64();
    case 'int64': return BigInt.asIntN(64, r.varint64());
    case 'sint64': { const n = r.varint64(); return (n >> 1n) ^ -(n & 1n); }
    case 'fixed64': return r.buf.readBigUInt64LE(r.take(8));
    case 'sfixed64': return r.buf.readBigInt64LE(r.take(8));
    case 'bool': return r.varint32() !== 0;
    case 'double': return r.buf.readDoubleLE(r.take(8));
    case 'float': return r.buf.readFloatLE(r.take(4));
    case 'string': { const n = r.varint32(); const at = r.take(n); return r.buf.toString('utf8', at, at + n); }
    // A copy: an entry never aliases the file's buffer.
    case 'bytes': { const n = r.varint32(); const at = r.take(n); return Buffer.from(r.buf.subarray(at, at + n)); }
    case 'message': {
      const n = r.varint32();
      const at = r.take(n);
      return readMessage(r.buf, at, at + n, compiledSpec(f.ref!), `${r.where}.${f.name}`);
    }
  }
}

function readMessage(buf: Buffer, start: number, end: number, spec: Compiled, where: string): Entry {
  const r = new Reader(buf, start, end, where);
  const out: Entry = {};
  for (const f of spec.fields) if (f.rule === 'repeated') out[f.name] = [];
  while (r.pos < end) {
    const tag = r.varint32();
    const id = tag >>> 3;
    const wire = tag & 7;
    const f = spec.byId.get(id);
    if (!f) {
      r.skip(wire);
      continue;
    }
    const want = wireOf(f);
    if (f.rule === 'repeated' && wire === WIRE_LEN && want !== WIRE_LEN) {
      // Packed scalars, accepted whether or not the .proto says packed (as protobuf does).
      const n = r.varint32();
      const at = r.take(n);
      const inner = new Reader(buf, at, at + n, `${where}.${f.name}`);
      const list = out[f.name] as unknown[];
      while (inner.pos < inner.end) list.push(readValue(inner, f));
      continue;
    }
    if (wire !== want) r.fail(`field '${f.name}' has wire type ${wire}, expected ${want}`);
    const v = readValue(r, f);
    if (f.rule === 'repeated') (out[f.name] as unknown[]).push(v);
    else out[f.name] = v;
  }
  for (const f of spec.required) {
    if (!(f.name in out)) throw new FieldError(`${where}: missing required field '${f.name}'`);
  }
  return out;
}

/** Decodes buf[start, end) as message `typeName`. Throws FieldError naming the field. */
export function decodeMessage(typeName: string, buf: Buffer, start = 0, end = buf.length): Entry {
  const spec = compiledSpec(typeName);
  return readMessage(buf, start, end, spec, spec.name);
}
