/**
 * Named pipes (fifo_entry, with the path in a reg_file_entry of its own that regf_id names, as
 * CRIU writes and reads them, and their queued bytes in fifo-data.img). amber's older images
 * held the reg_file_entry inside the FIFO file_entry; read-images.ts gives every FIFO entry its
 * reg either way. At restore the restorer holds the FIFO open for reading and writing first, so
 * that every end can be opened without blocking and the data can be put back before anyone reads.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { ImageError } from '../errors';
import { Entry, FIFO_DATA_IMG } from '../images';
import { FdType, FileKind, FileRestoreContext, NO_FOWN, OpenFd } from './types';
import { peekPipe, refillPipe } from './pipe';

const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000, O_RDONLY = 0, O_WRONLY = 1;
const F_SETFL = 4;

function holdFifo(path: string, pipeId: number, ctx: FileRestoreContext): void {
  const key = `fifo:${pipeId}`;
  if (ctx.shared.has(key)) return;
  const r = fs.openSync(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  const w = fs.openSync(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ctx.shared.set(key, true);
  ctx.onCleanup(() => { fs.closeSync(r); fs.closeSync(w); });
  refillPipe(w, pipeId, FIFO_DATA_IMG, 'FIFO_DATA', ctx);
}

export const fifo: FileKind = {
  name: 'FIFO',
  type: FdType.FIFO,
  matches: (f: OpenFd) => f.stat.isFIFO() && f.link.startsWith('/'),
  dump(f: OpenFd, id: number, ctx) {
    const pipeId = f.stat.ino;
    if (ctx.once(`fifo:${f.stat.dev}:${pipeId}`)) {
      const { data, size } = peekPipe(`/proc/${f.pid}/fd/${f.fd}`);
      ctx.addImageEntry(FIFO_DATA_IMG, 'FIFO_DATA', { pipe_id: pipeId, bytes: data.length, size, extra: data });
    }
    const flags = f.info.flags & ~O_CLOEXEC;
    const regfId = ctx.addFileEntry((rid) => ({ type: FdType.REG, id: rid, reg: { id: rid, flags, pos: 0n, fown: NO_FOWN, name: f.link } }));
    return { type: FdType.FIFO, id, fifo: { id, pipe_id: pipeId, regf_id: regfId } };
  },
  open(entry: Entry, ctx) {
    const path: string | undefined = entry.reg?.name;
    if (!path) throw new ImageError('files.img', entry.id, 'FIFO entry without its path');
    holdFifo(path, entry.fifo.pipe_id, ctx);
    const fd = fs.openSync(path, entry.reg.flags | O_NONBLOCK | O_CLOEXEC);
    native.fcntl(fd, F_SETFL, entry.reg.flags & O_NONBLOCK);
    return { fd };
  },
};
