import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { IMAGE_KINDS, IMAGE_KIND_NAMES } from '../../src/images';
import { messageType } from '../../src/images/schema';
import { FieldError, decodeMessage, encodeMessage } from '../../src/images/wire';
import { SAMPLES } from './samples';

/** protobufjs's encoding of an entry (bigints as Longs): the reference amber's codec must equal. */
function reference(typeName: string, entry: unknown): Buffer {
  const type = messageType(typeName);
  const toLong = (t: protobuf.Type, e: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(e)) {
      const f = t.fields[k];
      const one = (x: unknown): unknown => {
        if (f.resolvedType instanceof protobuf.Type) return toLong(f.resolvedType, x as Record<string, unknown>);
        if (typeof x === 'bigint') {
          const u = BigInt.asUintN(64, x);
          return new protobuf.util.Long(Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0, /u/.test(f.type));
        }
        return x;
      };
      out[k] = Array.isArray(v) ? v.map(one) : one(v);
    }
    return out;
  };
  return Buffer.from(type.encode(toLong(type, entry as Record<string, unknown>)).finish());
}

describe('image protobuf codec', () => {
  it('encodes every sample byte for byte as protobufjs does, and decodes it back', () => {
    for (const kind of IMAGE_KIND_NAMES) {
      const k = IMAGE_KINDS[kind] as { message: string; head?: string };
      SAMPLES[kind].forEach((raw, i) => {
        const typeName = i === 0 && k.head ? k.head : k.message;
        const { extra: _extra, ...entry } = raw as Record<string, unknown>;
        const ours = encodeMessage(typeName, entry);
        expect(ours.equals(reference(typeName, entry)), `${kind}[${i}]`).toBe(true);
        expect(decodeMessage(typeName, ours), `${kind}[${i}]`).toMatchObject(entry);
      });
    }
  });

  it('carries the edges of every integer kind', () => {
    const fown = { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 };
    const cases: [string, Record<string, unknown>][] = [
      ['eventfd_file_entry', { id: 0xffffffff, flags: 0, fown, counter: (1n << 64n) - 1n }],
      ['reg_file_entry', { id: 7, flags: 0, pos: 0n, fown, name: '/x', mnt_id: -1 }],
      ['reg_file_entry', { id: 7, flags: 0, pos: 0n, fown, name: 'ü\u{1f600}', mnt_id: -0x80000000 }],
      ['file_lock_entry', { type: 1, flag: 1, pid: -1, fd: -0x80000000, start: -(1n << 63n), len: (1n << 63n) - 1n }],
    ];
    for (const [typeName, entry] of cases) {
      const bytes = encodeMessage(typeName, entry);
      expect(bytes.equals(reference(typeName, entry)), typeName).toBe(true);
      expect(decodeMessage(typeName, bytes)).toMatchObject(entry);
    }
  });

  it('accepts packed and unpacked repeated scalars alike, and skips unknown fields', () => {
    const creds = SAMPLES.CREDS[0] as Record<string, unknown>;
    const plain = encodeMessage('creds_entry', creds);
    // cap_inh (field 9) packed by hand, and an unknown field 99 (varint) in front
    const caps = creds.cap_inh as number[];
    const packedBody = Buffer.from(caps.flatMap((c) => [...varint(c)]));
    const extra = Buffer.concat([Buffer.from([...varint((99 << 3) | 0), 5]), Buffer.from([...varint((9 << 3) | 2), ...varint(packedBody.length)]), packedBody]);
    const withoutCapInh = encodeMessage('creds_entry', { ...creds, cap_inh: [] });
    expect(decodeMessage('creds_entry', Buffer.concat([extra, withoutCapInh]))).toEqual(decodeMessage('creds_entry', plain));
  });

  it('names the field of a bad value and of bad bytes', () => {
    expect(() => encodeMessage('fs_entry', { cwd_id: 1, root_id: 2, umask: -1 })).toThrow(/fs_entry.umask: -1 out of range for uint32/);
    expect(() => encodeMessage('fs_entry', { cwd_id: 1 })).toThrow(/missing required field 'root_id'/);
    const good = encodeMessage('fs_entry', { cwd_id: 1, root_id: 2, umask: 18 });
    expect(() => decodeMessage('fs_entry', good.subarray(0, good.length - 1))).toThrow(FieldError);
    expect(() => decodeMessage('fs_entry', Buffer.from([0x7b]))).toThrow(/unsupported wire type 3/);
    expect(() => decodeMessage('fs_entry', Buffer.from([0x0a, 0x01, 0x00]))).toThrow(/field 'cwd_id' has wire type 2, expected 0/);
  });

  it('message-specs.ts is what the .proto files give', () => {
    const r = spawnSync('node', [path.join(__dirname, '../../scripts/gen-image-schema.js'), '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

function varint(v: number): number[] {
  const out: number[] = [];
  while (v > 0x7f) { out.push((v & 0x7f) | 0x80); v >>>= 7; }
  out.push(v);
  return out;
}
