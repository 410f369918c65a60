/**
 * Pipes (pipe_entry) and the bytes queued in them (pipes-data.img, read at dump without consuming
 * them: a fresh read end is opened through /proc and tee'd). At restore one pipe is made per
 * pipe_id, its size and data set, and each end handed to whichever tasks hold it.
 *
 * A pipe the tree holds only one end of, whose other end is open outside the tree (a caller's
 * stdio pipe), is dumped as CRIU does (no option needed) but marked amber_peer_outside: a new
 * pipe would be cut off from that outside end, so restore refuses it unless the caller passes
 * the pipe with --inherit-fd fd[N]:pipe:[INO] (external.ts).
 */
import { Level } from '../log';
import { mutated } from '../mutant';
import * as fs from 'node:fs';
import { native } from '../native';
import { ImageError } from '../errors';
import { Entry, readImageOptional } from '../images';
import { FdType, FileDumpContext, FileKind, FileRestoreContext, NO_FOWN, OpenFd } from './types';

export const PIPES_DATA_IMG = 'pipes-data.img';
const O_ACCMODE = 3, O_WRONLY = 1, O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
const F_SETFL = 4, F_GETPIPE_SZ = 1032, F_SETPIPE_SZ = 1031;
const SPLICE_F_NONBLOCK = 2;
const O_RDWR = 2;

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
  const d = pipeDataEntry(pipeId, file, kind, ctx);
  if (!d || mutated('skip-pipe-data')) return;
  if (d.size) native.fcntl(w, F_SETPIPE_SZ, d.size);
  const data: Buffer = d.extra ?? Buffer.alloc(0);
  if (data.length !== d.bytes) throw new ImageError(file, undefined, `pipe ${pipeId}: ${data.length} bytes, ${d.bytes} declared`);
  let off = 0;
  while (off < data.length) off += fs.writeSync(w, data, off, data.length - off);
}

function pipeDataEntry(pipeId: number, file: string, kind: 'PIPES_DATA' | 'FIFO_DATA', ctx: FileRestoreContext): Entry | undefined {
  let byId = ctx.shared.get(file) as Map<number, Entry> | undefined;
  if (!byId) {
    byId = new Map((readImageOptional(ctx.imagesDir, file, kind) ?? []).map((e) => [e.pipe_id, e]));
    ctx.shared.set(file, byId);
  }
  return byId.get(pipeId);
}

/** The bytes pipes-data.img holds for pipe_id (undefined: none recorded). */
export function queuedPipeData(pipeId: number, ctx: FileRestoreContext): Buffer | undefined {
  const d = pipeDataEntry(pipeId, PIPES_DATA_IMG, 'PIPES_DATA', ctx);
  if (!d) return undefined;
  const data: Buffer = d.extra ?? Buffer.alloc(0);
  if (data.length !== d.bytes) throw new ImageError(PIPES_DATA_IMG, undefined, `pipe ${pipeId}: ${data.length} bytes, ${d.bytes} declared`);
  return data;
}

/** The ends of one pipe the tree holds, as seen while dumping. */
interface TreePipe {
  ino: number;
  read: boolean;
  write: boolean;
  /** One holder of an end: the fd checked for the other end's holders. */
  holder: OpenFd;
  entries: Entry[];
}

function isTee(e: unknown, code: string): boolean {
  return (e as { code?: string }).code === code;
}

/**
 * Who holds the other end of a pipe the tree holds one end of: 'none' when no one (the kernel
 * says so: a read end with no writers or a write end with no readers), else who it is, found by
 * a scan of every process on the host: asked only when the kernel cannot tell (bytes queued on
 * a read end), else after the dump for its message (a host's worth of /proc/PID/fd read while
 * the tree was frozen was most of a small dump's frozen time).
 */
type OtherEnd = 'none' | { holder: () => string };

function otherEnd(p: TreePipe, ctx: FileDumpContext): OtherEnd {
  const mine = p.holder.pid === process.pid ? p.holder.fd : ctx.grabFd(p.holder.pid, p.holder.fd);
  const [sr, sw] = native.pipe2(O_CLOEXEC | O_NONBLOCK);
  const later = (fallback: string): OtherEnd => ({ holder: () => holderOutside(p, ctx) ?? fallback });
  try {
    if (p.write) {
      // tee from an empty pipe with no writers into ours: EPIPE exactly when ours has no reader
      // (Node ignores SIGPIPE); nothing moves either way.
      fs.closeSync(sw);
      try {
        native.tee(sr, mine, 1, SPLICE_F_NONBLOCK);
      } catch (e) {
        if (isTee(e, 'EPIPE')) return 'none';
        if (!isTee(e, 'EAGAIN')) throw e;
      }
      return later('a reader outside the tree');
    }
    // A read end: on an empty pipe, tee waits for writers (EAGAIN) or ends at once (no writer).
    try {
      if (native.tee(mine, sw, 1, SPLICE_F_NONBLOCK) === 0) return 'none';
      // Bytes queued: the kernel does not say whether a writer is left. Look for one now.
      const found = holderOutside(p, ctx);
      return found === undefined ? 'none' : { holder: () => found };
    } catch (e) {
      if (!isTee(e, 'EAGAIN')) throw e;
      return later('a writer outside the tree');
    }
  } finally {
    fs.closeSync(sr);
    try { fs.closeSync(sw); } catch { /* closed above */ }
  }
}

/** A process outside the tree with an fd on the pipe's other end ("task PID (COMM) fd N"). */
function holderOutside(p: TreePipe, ctx: FileDumpContext): string | undefined {
  const link = `pipe:[${p.ino}]`;
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid || ctx.treePids.includes(pid)) continue;
    let fds: string[];
    try { fds = fs.readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) !== link) continue;
        const flags = parseInt(/^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1] ?? '0', 8);
        const write = (flags & O_ACCMODE) === O_WRONLY || (flags & O_ACCMODE) === O_RDWR;
        const read = (flags & O_ACCMODE) !== O_WRONLY;
        if ((p.write && read) || (p.read && write)) {
          let comm = '?';
          try { comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { /* gone */ }
          return `task ${pid} (${comm}) fd ${fd}`;
        }
      } catch { /* closed meanwhile */ }
    }
  }
  return undefined;
}

/** Once the whole tree is read: marks the pipes whose other end is held outside it. */
function markOutsidePeers(pipes: Map<number, TreePipe>, ctx: FileDumpContext): void {
  for (const p of pipes.values()) {
    if (p.read === p.write) continue;
    const other = otherEnd(p, ctx);
    if (other === 'none') continue;
    for (const e of p.entries) e.amber_peer_outside = true;
    // The scan only names the holder in this message: not made when the log would drop it.
    if (ctx.log.enabled(Level.Info)) ctx.afterRelease(() => ctx.log.info(`pipe:[${p.ino}] (task ${p.holder.pid} fd ${p.holder.fd}, the ${p.read ? 'reading' : 'writing'} end): its other end is held outside the dumped tree, by ${other.holder()}; restore needs --inherit-fd fd[N]:pipe:[${p.ino}]`));
  }
}

function notePipeEnd(f: OpenFd, entry: Entry, ctx: FileDumpContext): void {
  let pipes = ctx.cache.get('pipe-ends') as Map<number, TreePipe> | undefined;
  if (!pipes) {
    const made = new Map<number, TreePipe>();
    ctx.cache.set('pipe-ends', (pipes = made));
    ctx.onFinish(() => markOutsidePeers(made, ctx));
  }
  const ino = f.stat.ino;
  let p = pipes.get(ino);
  if (!p) pipes.set(ino, (p = { ino, read: false, write: false, holder: f, entries: [] }));
  const mode = f.info.flags & O_ACCMODE;
  if (mode !== O_WRONLY) p.read = true;
  if (mode === O_WRONLY || mode === O_RDWR) p.write = true;
  p.entries.push(entry);
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
    const entry: Entry = { id, pipe_id: pipeId, flags: f.info.flags & ~O_CLOEXEC, fown: NO_FOWN };
    notePipeEnd(f, entry, ctx);
    return { type: FdType.PIPE, id, pipe: entry };
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
