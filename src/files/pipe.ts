/**
 * Pipes (pipe_entry) and the bytes queued in them (pipes-data.img, read at dump without consuming
 * them: a fresh read end is opened through /proc and tee'd). At restore one pipe is made per
 * pipe_id, its size and data set, and each end handed to whichever tasks hold it.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { ImageError } from '../errors';
import { Entry, readImageOptional } from '../images';
import { FdType, FileKind, FileRestoreContext, NO_FOWN, OpenFd } from './types';

export const PIPES_DATA_IMG = 'pipes-data.img';
const O_ACCMODE = 3, O_WRONLY = 1, O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
const F_SETFL = 4, F_GETPIPE_SZ = 1032, F_SETPIPE_SZ = 1031;
const SPLICE_F_NONBLOCK = 2;

/** The queued bytes of the pipe behind /proc/PID/fd/FD, and its buffer size. */
export function peekPipe(procFdPath: string): { data: Buffer; size: number } {
  const rd = fs.openSync(procFdPath, fs.constants.O_RDONLY | O_NONBLOCK);
  const [tr, tw] = native.pipe2(O_CLOEXEC | O_NONBLOCK);
  try {
    const size = native.fcntl(rd, F_GETPIPE_SZ, 0);
    native.fcntl(tw, F_SETPIPE_SZ, size);
    let n = 0;
    try {
      n = native.tee(rd, tw, size, SPLICE_F_NONBLOCK);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EAGAIN') throw e;
    }
    const data = Buffer.alloc(n);
    let got = 0;
    while (got < n) got += fs.readSync(tr, data, got, n - got, null);
    return { data, size };
  } finally {
    fs.closeSync(rd); fs.closeSync(tr); fs.closeSync(tw);
  }
}

interface RestorerPipe { r: number; w: number; handedR: boolean; handedW: boolean }

/**
 * Puts back what pipes-data.img (or fifo-data.img, same entries) holds for pipeId into the
 * write end `w`: its buffer size first, then the queued bytes.
 */
export function refillPipe(w: number, pipeId: number, file: string, kind: 'PIPES_DATA' | 'FIFO_DATA', ctx: FileRestoreContext): void {
  let byId = ctx.shared.get(file) as Map<number, Entry> | undefined;
  if (!byId) {
    byId = new Map((readImageOptional(ctx.imagesDir, file, kind) ?? []).map((e) => [e.pipe_id, e]));
    ctx.shared.set(file, byId);
  }
  const d = byId.get(pipeId);
  if (!d) return;
  if (d.size) native.fcntl(w, F_SETPIPE_SZ, d.size);
  const data: Buffer = d.extra ?? Buffer.alloc(0);
  if (data.length !== d.bytes) throw new ImageError(file, undefined, `pipe ${pipeId}: ${data.length} bytes, ${d.bytes} declared`);
  let off = 0;
  while (off < data.length) off += fs.writeSync(w, data, off, data.length - off);
}

/** The restorer's pipe for pipe_id, made on first use with its size and queued data. */
function restorerPipe(pipeId: number, ctx: FileRestoreContext): RestorerPipe {
  const key = `pipe:${pipeId}`;
  const p = ctx.shared.get(key) as RestorerPipe | undefined;
  if (p) return p;
  const [r, w] = native.pipe2(O_CLOEXEC);
  const made: RestorerPipe = { r, w, handedR: false, handedW: false };
  ctx.shared.set(key, made);
  ctx.onCleanup(() => {
    if (!made.handedR) fs.closeSync(made.r);
    if (!made.handedW) fs.closeSync(made.w);
  });
  refillPipe(w, pipeId, PIPES_DATA_IMG, 'PIPES_DATA', ctx);
  return made;
}

export const pipe: FileKind = {
  name: 'pipe',
  type: FdType.PIPE,
  matches: (f: OpenFd) => f.stat.isFIFO() && f.link.startsWith('pipe:'),
  dump(f: OpenFd, id: number, ctx) {
    const pipeId = f.stat.ino;
    if (ctx.once(`pipe:${pipeId}`)) {
      const { data, size } = peekPipe(`/proc/${f.pid}/fd/${f.fd}`);
      ctx.addImageEntry(PIPES_DATA_IMG, 'PIPES_DATA', { pipe_id: pipeId, bytes: data.length, size, extra: data });
      ctx.log.debug(`pipe ${pipeId}: ${data.length} bytes queued, size ${size}`);
    }
    return { type: FdType.PIPE, id, pipe: { id, pipe_id: pipeId, flags: f.info.flags & ~O_CLOEXEC, fown: NO_FOWN } };
  },
  open(entry: Entry, ctx) {
    const p = restorerPipe(entry.pipe.pipe_id, ctx);
    const write = (entry.pipe.flags & O_ACCMODE) === O_WRONLY;
    // A pipe end can be held under several file ids (reopened through /proc): hand a new OFD then.
    let fd: number;
    if (write ? p.handedW : p.handedR) fd = fs.openSync(`/proc/self/fd/${write ? p.w : p.r}`, (write ? O_WRONLY : 0) | O_CLOEXEC | O_NONBLOCK);
    else {
      fd = write ? p.w : p.r;
      if (write) p.handedW = true; else p.handedR = true;
    }
    native.fcntl(fd, F_SETFL, entry.pipe.flags & O_NONBLOCK);
    return { fd };
  },
};
