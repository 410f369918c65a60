import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from '../../src/errors';
import {
  IMAGE_KINDS,
  IMAGE_KIND_NAMES,
  IMG_COMMON,
  IMG_SERVICE,
  MAGIC,
  decodeImage,
  detectKind,
  encodeImage,
  readImage,
  readImageOptional,
  writeImage,
} from '../../src/images';
import { messageType } from '../../src/images/schema';
import { SAMPLES, U64_MAX, coreLeader, mm } from './samples';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-images-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs fn, expecting an ImageError; returns it. */
function imageError(fn: () => unknown): ImageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    return e as ImageError;
  }
  throw new Error('expected an ImageError');
}

describe('round trip', () => {
  it('has a sample for every kind, each naming a declared message', () => {
    for (const kind of IMAGE_KIND_NAMES) {
      expect(SAMPLES[kind]?.length, kind).toBeGreaterThan(0);
      const k = IMAGE_KINDS[kind] as { message: string; head?: string };
      expect(() => messageType(k.message)).not.toThrow();
      if (k.head) expect(() => messageType(k.head!)).not.toThrow();
    }
    expect(new Set(IMAGE_KIND_NAMES.map((k) => IMAGE_KINDS[k].magic)).size).toBe(IMAGE_KIND_NAMES.length);
  });

  for (const kind of IMAGE_KIND_NAMES) {
    it(`${kind}: decode(encode(x)) gives x back`, () => {
      const data = encodeImage(kind, SAMPLES[kind]);
      const back = decodeImage(kind, data);
      expect(back).toHaveLength(SAMPLES[kind].length);
      expect(back).toMatchObject(SAMPLES[kind]);
      // and encoding what we decoded is byte-identical
      expect(encodeImage(kind, back).equals(data)).toBe(true);
      expect(detectKind(data)).toBe(kind);
    });
  }

  it('writes and reads files, mode 0600, truncating an existing file', () => {
    writeImage(dir, 'pstree.img', 'PSTREE', SAMPLES.PSTREE);
    writeImage(dir, 'pstree.img', 'PSTREE', SAMPLES.PSTREE.slice(0, 1));
    expect(fs.statSync(path.join(dir, 'pstree.img')).mode & 0o777).toBe(0o600);
    expect(readImage(dir, 'pstree.img', 'PSTREE')).toEqual(SAMPLES.PSTREE.slice(0, 1));
    expect(readImageOptional(dir, 'pstree.img', 'PSTREE')).toEqual(SAMPLES.PSTREE.slice(0, 1));
  });

  it('frames files as CRIU does: leading magic, kind magic, u32 LE length + message', () => {
    const core = encodeImage('CORE', [coreLeader]);
    expect(core.readUInt32LE(0)).toBe(IMG_COMMON);
    expect(core.readUInt32LE(4)).toBe(MAGIC.CORE);
    expect(core.readUInt32LE(8)).toBe(core.length - 12);
    const stats = encodeImage('STATS', SAMPLES.STATS);
    expect(stats.readUInt32LE(0)).toBe(IMG_SERVICE);
    expect(stats.readUInt32LE(4)).toBe(MAGIC.STATS);
    const inv = encodeImage('INVENTORY', SAMPLES.INVENTORY);
    expect(inv.readUInt32LE(0)).toBe(MAGIC.INVENTORY);
    expect(inv.readUInt32LE(4)).toBe(inv.length - 8);
    expect(encodeImage('FS', [])).toHaveLength(8);
    expect(decodeImage('FS', encodeImage('FS', []))).toEqual([]);
  });

  it('puts extra payloads right after their entry', () => {
    const data = encodeImage('PIPES_DATA', [
      { pipe_id: 1, bytes: 3, extra: Buffer.from('abc') },
      { pipe_id: 2, bytes: 2, extra: Buffer.from('de') },
    ]);
    expect(data.subarray(data.length - 2).toString()).toBe('de');
    const back = decodeImage('PIPES_DATA', data);
    expect(back.map((e) => e.extra.toString())).toEqual(['abc', 'de']);
    const tcp = decodeImage('TCP_STREAM', encodeImage('TCP_STREAM', SAMPLES.TCP_STREAM));
    expect(tcp[0].extra.toString()).toBe('inqOQ');
  });

  it('reads the first pagemap entry as pagemap_head and the rest as pagemap_entry', () => {
    const back = decodeImage('PAGEMAP', encodeImage('PAGEMAP', SAMPLES.PAGEMAP));
    expect(back[0]).toEqual({ pages_id: 1 });
    expect(back[1]).toEqual({ vaddr: 0x55d0c1000000n, nr_pages: 33, flags: 4 });
  });
});

describe('values', () => {
  it('keeps 64-bit values exact as bigint, 32-bit ones as numbers', () => {
    const [core] = decodeImage('CORE', encodeImage('CORE', [coreLeader]));
    expect(core.thread_info.gpregs.ax).toBe(0xfffffffffffffe00n);
    expect(core.tc.rlimits.rlimits[0].max).toBe(U64_MAX);
    expect(core.tc.timers.posix[0].sival_ptr).toBe(U64_MAX);
    expect(core.thread_info.fpregs.xsave.hi16_zmm[0]).toBe(U64_MAX);
    expect(core.thread_info.fpregs.xsave.zmm_upper[63]).toBe(63n * 0x0101010101010101n);
    expect(typeof core.thread_info.fpregs.mxcsr).toBe('number');
    expect(core.tc.loginuid).toBe(0xffffffff);
    expect(core.tc.oom_score_adj).toBe(-1000);
    expect(core.thread_core.sched_nice).toBe(-5);

    const [m] = decodeImage('MM', encodeImage('MM', [mm]));
    expect(m.vmas[0].fd).toBe(-1n);
    expect(m.vmas[2].start).toBe(0xffffffffff600000n);

    const edge = [2n ** 53n + 1n, 2n ** 63n, U64_MAX];
    const all = decodeImage('EVENTPOLL_TFD', encodeImage('EVENTPOLL_TFD', edge.map((data) => ({ id: 1, tfd: 2, events: 3, data }))));
    expect(all.map((e) => e.data)).toEqual(edge);

    const vmaMin = { ...mm.vmas[0], fd: -(2n ** 63n) };
    expect(decodeImage('VMAS', encodeImage('VMAS', [vmaMin]))[0].fd).toBe(-(2n ** 63n));
    const [sk] = decodeImage('UNIXSK', encodeImage('UNIXSK', SAMPLES.UNIXSK));
    expect(sk.opts.so_filter).toEqual([U64_MAX, 0x0006000000000000n]); // fixed64
  });

  it('leaves absent optional fields absent (no defaults filled in), repeated ones as []', () => {
    const [reg] = decodeImage('REG_FILES', encodeImage('REG_FILES', [{ id: 1, flags: 0, pos: 0n, fown: SAMPLES.EXT_FILES[0].fown, name: '/x' }]));
    expect(reg).toEqual({ id: 1, flags: 0, pos: 0n, fown: SAMPLES.EXT_FILES[0].fown, name: '/x', build_id: [] });
    expect('mnt_id' in reg).toBe(false);
    const [core] = decodeImage('CORE', encodeImage('CORE', [coreLeader]));
    expect('mode' in core.thread_info.gpregs).toBe(false);
  });

  it('returns Buffers for bytes that do not share memory with the input', () => {
    const data = encodeImage('TTY_DATA', SAMPLES.TTY_DATA);
    const [e] = decodeImage('TTY_DATA', data);
    expect(Buffer.isBuffer(e.data)).toBe(true);
    data.fill(0);
    expect(e.data.toString()).toBe('typed ahead\n');
  });
});

describe('encode errors', () => {
  it('rejects a missing required field, naming entry and field', () => {
    const err = imageError(() => encodeImage('PSTREE', [SAMPLES.PSTREE[0], { pid: 1, ppid: 0, pgid: 1 }]));
    expect(err.entry).toBe(1);
    expect(err.reason).toMatch(/missing required field 'sid'/);
    const nested = imageError(() => encodeImage('FILES', [{ type: 1, id: 1, reg: { id: 1, flags: 0, pos: 0n, name: '/x' } }]));
    expect(nested.reason).toMatch(/file_entry\.reg: missing required field 'fown'/);
  });

  it('rejects numbers in 64-bit fields, bigints in 32-bit ones, out-of-range values, unknown fields and enum values', () => {
    const fs0 = SAMPLES.FS[0];
    expect(imageError(() => encodeImage('EVENTFD_FILE', [{ ...SAMPLES.EVENTFD_FILE[0], counter: 42 }])).reason).toMatch(/counter: uint64 must be a bigint/);
    expect(imageError(() => encodeImage('FS', [{ ...fs0, umask: 18n }])).reason).toMatch(/umask: uint32 must be an integer number/);
    expect(imageError(() => encodeImage('EVENTFD_FILE', [{ ...SAMPLES.EVENTFD_FILE[0], counter: 2n ** 64n }])).reason).toMatch(/out of range for uint64/);
    expect(imageError(() => encodeImage('EVENTFD_FILE', [{ ...SAMPLES.EVENTFD_FILE[0], counter: -1n }])).reason).toMatch(/out of range/);
    expect(imageError(() => encodeImage('FS', [{ ...fs0, umask: 2 ** 32 }])).reason).toMatch(/out of range for uint32/);
    expect(imageError(() => encodeImage('FS', [{ ...fs0, cwd: 1 }])).reason).toMatch(/fs_entry has no field 'cwd'/);
    expect(imageError(() => encodeImage('FDINFO', [{ id: 1, flags: 0, type: 20, fd: 0 }])).reason).toMatch(/not a value of enum fd_types/);
    expect(imageError(() => encodeImage('FDINFO', [{ id: 1, flags: 0, type: 'REG', fd: 0 }])).reason).toMatch(/enum fd_types/);
  });

  it('checks extra payloads against the length the entry declares', () => {
    expect(imageError(() => encodeImage('PIPES_DATA', [{ pipe_id: 1, bytes: 4, extra: Buffer.from('abc') }])).reason).toMatch(/3 bytes, the entry declares 4/);
    expect(imageError(() => encodeImage('PIPES_DATA', [{ pipe_id: 1, bytes: 4 }])).reason).toMatch(/needs 'extra'/);
    expect(imageError(() => encodeImage('FS', [{ ...SAMPLES.FS[0], extra: Buffer.alloc(1) }])).reason).toMatch(/no field 'extra'/);
  });

  it('names the file when writing', () => {
    const err = imageError(() => writeImage(dir, 'fs-1.img', 'FS', [{}]));
    expect(err.file).toBe(path.join(dir, 'fs-1.img'));
    expect(err.message).toContain('fs-1.img entry 0');
  });
});

describe('decode errors', () => {
  const good = encodeImage('PSTREE', SAMPLES.PSTREE);

  it('reports a missing file, and readImageOptional returns undefined', () => {
    const err = imageError(() => readImage(dir, 'nope.img', 'CORE'));
    expect(err.file).toBe(path.join(dir, 'nope.img'));
    expect(err.entry).toBeUndefined();
    expect(err.reason).toMatch(/missing/);
    expect(readImageOptional(dir, 'nope.img', 'CORE')).toBeUndefined();
  });

  it('reports bad and truncated magics', () => {
    const err = imageError(() => decodeImage('MM', good, 'x/pstree.img'));
    expect(err.file).toBe('x/pstree.img');
    expect(err.reason).toBe(`bad magic PSTREE 0x50273030 (expected MM 0x57492820)`);
    expect(imageError(() => decodeImage('STATS', encodeImage('FS', []))).reason).toMatch(/bad leading magic IMG_COMMON 0x54564319 \(expected IMG_SERVICE 0x55105940\)/);
    expect(imageError(() => decodeImage('PSTREE', good.subarray(0, 6))).reason).toMatch(/truncated: header needs 8 bytes, file has 6/);
    expect(imageError(() => decodeImage('INVENTORY', good)).reason).toMatch(/bad magic IMG_COMMON/);
    expect(imageError(() => detectKind(Buffer.from('0102030405060708', 'hex'))).reason).toMatch(/unknown leading magic 0x04030201/);
  });

  it('reports a truncated length prefix or message with the entry index', () => {
    // header 8 + (4 + len0) + (4 + len1)
    const len0 = good.readUInt32LE(8);
    const second = 8 + 4 + len0;
    const cutPrefix = imageError(() => decodeImage('PSTREE', good.subarray(0, second + 2), 'pstree.img'));
    expect(cutPrefix.entry).toBe(1);
    expect(cutPrefix.reason).toBe('truncated: length prefix needs 4 bytes, 2 left');
    const cutBody = imageError(() => decodeImage('PSTREE', good.subarray(0, good.length - 3), 'pstree.img'));
    expect(cutBody.entry).toBe(1);
    const len1 = good.readUInt32LE(second);
    expect(cutBody.reason).toBe(`truncated: entry 1 declares ${len1} bytes, ${len1 - 3} left`);
    expect(cutBody.message).toBe(`pstree.img entry 1: ${cutBody.reason}`);
  });

  it('reports a message that does not decode, or lacks a required field', () => {
    const garbage = Buffer.concat([good.subarray(0, 8), Buffer.from([3, 0, 0, 0, 0xff, 0xff, 0xff])]);
    const err = imageError(() => decodeImage('PSTREE', garbage, 'pstree.img'));
    expect(err.entry).toBe(0);
    expect(err.reason).toMatch(/^cannot decode pstree_entry: /);
    expect(err.cause).toBeDefined();
    // a valid fs_entry lacks pstree_entry's required fields
    const fsBody = encodeImage('FS', SAMPLES.FS).subarray(8);
    const wrong = Buffer.concat([good.subarray(0, 8), fsBody]);
    expect(imageError(() => decodeImage('PSTREE', wrong)).reason).toMatch(/cannot decode pstree_entry: .*missing required/);
  });

  it('reports a truncated extra payload', () => {
    const data = encodeImage('PIPES_DATA', SAMPLES.PIPES_DATA);
    const err = imageError(() => decodeImage('PIPES_DATA', data.subarray(0, data.length - 1)));
    expect(err.entry).toBe(0);
    expect(err.reason).toBe('truncated: extra payload of entry 0 declares 5 bytes, 4 left');
  });
});
