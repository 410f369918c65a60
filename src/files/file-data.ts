/**
 * The data of a file as runs between holes (lseek SEEK_DATA / SEEK_HOLE), and copies of byte
 * ranges between fds: what memfd contents and ghost files are dumped and restored with, so that a
 * sparse file stays sparse. The fd given must be one the dumper owns (its own open file
 * description): SEEK_DATA moves the offset, which a pidfd_getfd duplicate would share with the task.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { SysError } from '../errors';

const SEEK_DATA = 3, SEEK_HOLE = 4;
const ENXIO = 6;
const CHUNK = 8 << 20;

export interface DataRun { off: number; len: number }

/** The runs of data of the first `size` bytes of fd, in order (a filesystem without holes: one run). */
export function dataRuns(fd: number, size: number): DataRun[] {
  const runs: DataRun[] = [];
  let pos = 0;
  while (pos < size) {
    let data: number;
    try {
      data = Number(native.lseek(fd, BigInt(pos), SEEK_DATA));
    } catch (e) {
      if (e instanceof SysError && e.errno === ENXIO) break;
      throw e;
    }
    if (data >= size) break;
    const hole = Math.min(size, Number(native.lseek(fd, BigInt(data), SEEK_HOLE)));
    runs.push({ off: data, len: hole - data });
    pos = hole;
  }
  return runs;
}

/** The runs widened to whole pages of `page` bytes (merged where they touch), within ceil(size). */
export function pageRuns(runs: DataRun[], size: number, page: number): DataRun[] {
  const end = Math.ceil(size / page) * page;
  const out: DataRun[] = [];
  for (const r of runs) {
    const start = Math.floor(r.off / page) * page;
    const stop = Math.min(end, Math.ceil((r.off + r.len) / page) * page);
    const last = out[out.length - 1];
    if (last && start <= last.off + last.len) last.len = Math.max(last.len, stop - last.off);
    else out.push({ off: start, len: stop - start });
  }
  return out;
}

/**
 * Copies len bytes from src at srcOff to dst at dstOff (dstOff null: at dst's offset, for image
 * files written in sequence). Bytes past the end of src are written as zeros (a last partial page).
 */
export function copyRange(src: number, srcOff: number, dst: number, dstOff: number | null, len: number, buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(len, 1)))): void {
  let done = 0;
  while (done < len) {
    const want = Math.min(buf.length, len - done);
    let got = 0;
    while (got < want) {
      const n = fs.readSync(src, buf, got, want - got, srcOff + done + got);
      if (n === 0) break;
      got += n;
    }
    if (got < want) buf.fill(0, got, want);
    let w = 0;
    while (w < want) w += fs.writeSync(dst, buf, w, want - w, dstOff === null ? null : dstOff + done + w);
    done += want;
  }
}
