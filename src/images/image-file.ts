/**
 * The one reader/writer of CRIU image files.
 *
 * Layout: [IMG_COMMON | IMG_SERVICE] <kind magic> then entries, each a u32
 * little-endian length, that many bytes of protobuf message, and for some
 * kinds a raw payload whose size the message gives. inventory.img has no
 * leading magic. pagemap files start with a pagemap_head entry.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageError } from '../errors';
import { type ImageKindName, imageKind, kindByMagic } from './kinds';
import { IMG_COMMON, IMG_SERVICE, MAGIC, hexMagic } from './magic';
import { FieldError, decodeMessage, encodeMessage } from './wire';

/** One decoded entry: field names as in the .proto files; 64-bit fields are bigint. */
export type Entry = Record<string, any>;

function leadingMagic(kind: ImageKindName): number | undefined {
  const k = imageKind(kind);
  if (k.bare) return undefined;
  return k.service ? IMG_SERVICE : IMG_COMMON;
}

function entryType(kind: ImageKindName, index: number): string {
  const k = imageKind(kind);
  return index === 0 && k.head ? k.head : k.message;
}

/** Whether entry `index` of `kind` is followed by a raw payload (never the head entry). */
function hasExtra(kind: ImageKindName, index: number): boolean {
  const k = imageKind(kind);
  return k.extra !== undefined && !(index === 0 && k.head);
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b;
}

function encodeWithName(kind: ImageKindName, entries: Entry[], file: string): Buffer {
  const k = imageKind(kind);
  const chunks: Buffer[] = [];
  const lead = leadingMagic(kind);
  if (lead !== undefined) chunks.push(u32(lead));
  chunks.push(u32(k.magic));
  entries.forEach((entry, i) => {
    const typeName = entryType(kind, i);
    let fields: Entry = entry;
    let extra: unknown;
    const withExtra = hasExtra(kind, i);
    if (withExtra && entry !== null && typeof entry === 'object') {
      ({ extra, ...fields } = entry);
    }
    let body: Uint8Array;
    try {
      body = encodeMessage(typeName, fields);
    } catch (e) {
      const reason = e instanceof FieldError ? e.message : `cannot encode ${typeName}: ${(e as Error).message}`;
      throw new ImageError(file, i, reason, { cause: e });
    }
    chunks.push(u32(body.length), Buffer.from(body.buffer, body.byteOffset, body.length));
    if (withExtra && k.extra) {
      const want = k.extra.length(fields);
      if (!(extra instanceof Uint8Array)) throw new ImageError(file, i, `${kind} entry needs 'extra' (a Buffer of ${want} bytes)`);
      if (extra.length !== want) throw new ImageError(file, i, `extra payload is ${extra.length} bytes, the entry declares ${want}`);
      chunks.push(Buffer.from(extra.buffer, extra.byteOffset, extra.length));
    }
  });
  return Buffer.concat(chunks);
}

/** The bytes of an image file of `kind` holding `entries`. Throws ImageError naming the bad entry. */
export function encodeImage(kind: ImageKindName, entries: Entry[]): Buffer {
  return encodeWithName(kind, entries, `<${kind} image>`);
}

function magicName(value: number): string {
  const kind = kindByMagic(value);
  if (kind) return `${kind} ${hexMagic(value)}`;
  if (value === IMG_COMMON) return `IMG_COMMON ${hexMagic(value)}`;
  if (value === IMG_SERVICE) return `IMG_SERVICE ${hexMagic(value)}`;
  return hexMagic(value);
}

function checkHeader(kind: ImageKindName, data: Buffer, file: string): number {
  const k = imageKind(kind);
  const lead = leadingMagic(kind);
  const size = lead === undefined ? 4 : 8;
  if (data.length < size) throw new ImageError(file, undefined, `truncated: header needs ${size} bytes, file has ${data.length}`);
  if (lead !== undefined) {
    const got = data.readUInt32LE(0);
    if (got !== lead) throw new ImageError(file, undefined, `bad leading magic ${magicName(got)} (expected ${magicName(lead)})`);
  }
  const got = data.readUInt32LE(size - 4);
  if (got !== k.magic) throw new ImageError(file, undefined, `bad magic ${magicName(got)} (expected ${kind} ${hexMagic(k.magic)})`);
  return size;
}

/** Entries of an image file of `kind`. `file` only names the source in errors. */
export function decodeImage(kind: ImageKindName, data: Buffer, file = `<${kind} image>`): Entry[] {
  const k = imageKind(kind);
  let off = checkHeader(kind, data, file);
  const entries: Entry[] = [];
  for (let i = 0; off < data.length; i++) {
    const left = data.length - off;
    if (left < 4) throw new ImageError(file, i, `truncated: length prefix needs 4 bytes, ${left} left`);
    const len = data.readUInt32LE(off);
    off += 4;
    if (len > data.length - off) throw new ImageError(file, i, `truncated: entry ${i} declares ${len} bytes, ${data.length - off} left`);
    const typeName = entryType(kind, i);
    let entry: Entry;
    try {
      entry = decodeMessage(typeName, data, off, off + len);
    } catch (e) {
      throw new ImageError(file, i, `cannot decode ${typeName}: ${(e as Error).message}`, { cause: e });
    }
    off += len;
    if (hasExtra(kind, i) && k.extra) {
      const want = k.extra.length(entry);
      if (want > data.length - off) throw new ImageError(file, i, `truncated: extra payload of entry ${i} declares ${want} bytes, ${data.length - off} left`);
      entry.extra = Buffer.from(data.subarray(off, off + want));
      off += want;
    }
    entries.push(entry);
  }
  return entries;
}

/** Writes dir/fileName (mode 0600 when created; truncated if it exists). */
export function writeImage(dir: string, fileName: string, kind: ImageKindName, entries: Entry[]): void {
  const file = path.join(dir, fileName);
  const data = encodeWithName(kind, entries, file);
  try {
    fs.writeFileSync(file, data, { mode: 0o600 });
  } catch (e) {
    throw new ImageError(file, undefined, `cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

function readFileOrUndefined(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ImageError(file, undefined, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

export function readImage(dir: string, fileName: string, kind: ImageKindName): Entry[] {
  const file = path.join(dir, fileName);
  const data = readFileOrUndefined(file);
  if (data === undefined) throw new ImageError(file, undefined, `missing: no such ${kind} image`);
  return decodeImage(kind, data, file);
}

/** Like readImage, but undefined when the file does not exist. */
export function readImageOptional(dir: string, fileName: string, kind: ImageKindName): Entry[] | undefined {
  const file = path.join(dir, fileName);
  const data = readFileOrUndefined(file);
  return data === undefined ? undefined : decodeImage(kind, data, file);
}

/** The kind of an image file, from its magic(s). */
export function detectKind(data: Buffer, file = '<image>'): ImageKindName {
  if (data.length < 4) throw new ImageError(file, undefined, `truncated: header needs at least 4 bytes, file has ${data.length}`);
  const first = data.readUInt32LE(0);
  if (first === MAGIC.INVENTORY) return 'INVENTORY';
  if (first !== IMG_COMMON && first !== IMG_SERVICE) throw new ImageError(file, undefined, `unknown leading magic ${hexMagic(first)}`);
  if (data.length < 8) throw new ImageError(file, undefined, `truncated: header needs 8 bytes, file has ${data.length}`);
  const second = data.readUInt32LE(4);
  const kind = kindByMagic(second);
  if (!kind || kind === 'INVENTORY') throw new ImageError(file, undefined, `unknown image magic ${hexMagic(second)}`);
  return kind;
}
