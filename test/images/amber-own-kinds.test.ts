/**
 * File kinds of amber's own, which CRIU's crit cannot read (so they are kept out of SAMPLES,
 * which crit decodes): pidfds, fd type PIDFD = 1001 with file_entry.pidfd = 1001. Also the
 * file-handle words of the fsnotify kinds, which must give the kernel's bytes back.
 */
import { describe, expect, it } from 'vitest';
import { decodeImage, encodeImage } from '../../src/images';
import { FdType } from '../../src/files/types';
import { fhEntry, handleOf, parseHandle } from '../../src/files/fh-entry';
import { fown } from './samples';

describe('pidfd_entry', () => {
  const files = [
    { type: FdType.PIDFD, id: 40, pidfd: { id: 40, flags: 0o4002, fown, pid: 4002 } },
    { type: FdType.PIDFD, id: 41, pidfd: { id: 41, flags: 2, fown, pid: 0, exit_status: 42 << 8 } },
    { type: FdType.PIDFD, id: 42, pidfd: { id: 42, flags: 2, fown, pid: 0, exit_status: -1 } },
  ];

  it('round-trips in files.img with its own fd type', () => {
    const data = encodeImage('FILES', files);
    const back = decodeImage('FILES', data);
    expect(back).toMatchObject(files);
    expect(back[0].type).toBe(1001);
    expect(back[0].pidfd.exit_status).toBeUndefined();
    expect(encodeImage('FILES', back).equals(data)).toBe(true);
  });
});

describe('fh_entry', () => {
  it('keeps the handle bytes of an fdinfo line, padded to 16 words', () => {
    const line = 'inotify wd:4 ino:3f7e8 sdev:fe00000 mask:100 ignored_mask:0 fhandle-bytes:c fhandle-type:81 f_handle:e8f70300000000000a0b0c0d';
    const h = parseHandle(line)!;
    expect(h.type).toBe(0x81);
    expect(h.bytes.toString('hex')).toBe('e8f70300000000000a0b0c0d');
    const e = fhEntry(h, '/x');
    expect(e).toMatchObject({ bytes: 12, type: 0x81, path: '/x' });
    expect(e.handle).toHaveLength(16);
    expect(e.handle[0]).toBe(0x3f7e8n);
    expect(e.handle[1]).toBe(0x0d0c0b0an);
    expect(handleOf(e).bytes.equals(h.bytes)).toBe(true);
  });

  it('rejects a line whose handle length disagrees', () => {
    expect(parseHandle('inotify wd:1 ino:1 sdev:0 mask:2 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:0102')).toBeUndefined();
    expect(parseHandle('inotify wd:1 ino:1 sdev:0 mask:2 ignored_mask:0')).toBeUndefined();
  });
});
