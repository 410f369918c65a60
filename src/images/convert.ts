/**
 * Converts between amber's plain entries and what protobufjs encodes/decodes:
 * 64-bit integers are bigint on amber's side and Long on protobufjs's side;
 * 32-bit integers are numbers; bytes are Buffers; enums are numbers. Walks
 * the reflected message type, so nested and repeated fields are covered.
 */
import * as protobuf from 'protobufjs';
import type { Entry } from './image-file';

const LONG_RANGE: Record<string, [bigint, bigint, boolean]> = {
  uint64: [0n, (1n << 64n) - 1n, true],
  fixed64: [0n, (1n << 64n) - 1n, true],
  int64: [-(1n << 63n), (1n << 63n) - 1n, false],
  sint64: [-(1n << 63n), (1n << 63n) - 1n, false],
  sfixed64: [-(1n << 63n), (1n << 63n) - 1n, false],
};

const INT32_RANGE: Record<string, [number, number]> = {
  uint32: [0, 0xffffffff],
  fixed32: [0, 0xffffffff],
  int32: [-0x80000000, 0x7fffffff],
  sint32: [-0x80000000, 0x7fffffff],
  sfixed32: [-0x80000000, 0x7fffffff],
};

/** A value that does not fit its field; the message names the field path. */
export class FieldError extends Error {}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array);
}

type Long = protobuf.Long;

function longFromBigint(v: bigint, unsigned: boolean): Long {
  const bits = BigInt.asUintN(64, v);
  return new protobuf.util.Long(Number(bits & 0xffffffffn) | 0, Number(bits >> 32n) | 0, unsigned);
}

function bigintFromLong(v: Long | number, unsigned: boolean): bigint {
  if (typeof v === 'number') return BigInt(v);
  const raw = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? raw : BigInt.asIntN(64, raw);
}

function scalarToWire(field: protobuf.Field, v: unknown, where: string): unknown {
  const t = field.type;
  const long = LONG_RANGE[t];
  if (long) {
    if (typeof v !== 'bigint') throw new FieldError(`${where}: ${t} must be a bigint, got ${typeof v}`);
    if (v < long[0] || v > long[1]) throw new FieldError(`${where}: ${v} out of range for ${t}`);
    return longFromBigint(v, long[2]);
  }
  const int32 = INT32_RANGE[t];
  if (int32) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new FieldError(`${where}: ${t} must be an integer number, got ${typeof v === 'number' ? v : typeof v}`);
    if (v < int32[0] || v > int32[1]) throw new FieldError(`${where}: ${v} out of range for ${t}`);
    return v;
  }
  switch (t) {
    case 'bool':
      if (typeof v !== 'boolean') throw new FieldError(`${where}: bool must be a boolean, got ${typeof v}`);
      return v;
    case 'string':
      if (typeof v !== 'string') throw new FieldError(`${where}: string expected, got ${typeof v}`);
      return v;
    case 'bytes':
      if (!(v instanceof Uint8Array)) throw new FieldError(`${where}: bytes must be a Buffer`);
      return v;
    case 'double':
    case 'float':
      if (typeof v !== 'number') throw new FieldError(`${where}: ${t} must be a number`);
      return v;
  }
  if (field.resolvedType instanceof protobuf.Enum) {
    const e = field.resolvedType;
    if (typeof v !== 'number' || !Object.values(e.values).includes(v)) throw new FieldError(`${where}: ${String(v)} is not a value of enum ${e.name}`);
    return v;
  }
  throw new FieldError(`${where}: unsupported field type ${t}`);
}

function valueToWire(field: protobuf.Field, v: unknown, where: string): unknown {
  if (field.resolvedType instanceof protobuf.Type) return toWire(field.resolvedType, v, where);
  return scalarToWire(field, v, where);
}

/** Entry (bigints, Buffers) -> object protobufjs can verify and encode (Longs). */
export function toWire(type: protobuf.Type, entry: unknown, where: string = type.name): Record<string, unknown> {
  if (!isPlainObject(entry)) throw new FieldError(`${where}: ${type.name} must be an object`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(entry)) {
    if (v === undefined) continue;
    const field = type.fields[key];
    if (!field) throw new FieldError(`${where}: ${type.name} has no field '${key}'`);
    const at = `${where}.${key}`;
    if (field.repeated) {
      if (!Array.isArray(v)) throw new FieldError(`${at}: repeated field must be an array`);
      out[key] = v.map((item, i) => valueToWire(field, item, `${at}[${i}]`));
    } else {
      out[key] = valueToWire(field, v, at);
    }
  }
  for (const field of type.fieldsArray) {
    if (field.required && !(field.name in out)) throw new FieldError(`${where}: missing required field '${field.name}'`);
  }
  return out;
}

function valueFromWire(field: protobuf.Field, v: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return fromWire(field.resolvedType, v as protobuf.Message);
  const long = LONG_RANGE[field.type];
  if (long) return bigintFromLong(v as Long | number, long[2]);
  if (field.type === 'bytes') return Buffer.from(v as Uint8Array); // a copy: never alias the file buffer
  return v;
}

/**
 * Decoded message -> Entry. Fields absent on the wire stay absent (their
 * defaults are not filled in); repeated fields are always arrays.
 */
export function fromWire(type: protobuf.Type, msg: protobuf.Message): Entry {
  const out: Entry = {};
  const own = msg as unknown as Record<string, unknown>;
  for (const field of type.fieldsArray) {
    const v = own[field.name];
    if (field.repeated) {
      out[field.name] = Array.isArray(v) ? v.map((item) => valueFromWire(field, item)) : [];
    } else if (Object.prototype.hasOwnProperty.call(own, field.name) && v !== null && v !== undefined) {
      out[field.name] = valueFromWire(field, v);
    }
  }
  return out;
}
