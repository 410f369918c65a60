/**
 * Terminals. A task on the caller's terminal (a shell job) can only be restored onto a terminal:
 * with --shell-job its terminal fds are recorded (tty_file_entry + its path in a reg_file_entry)
 * and restored onto the restorer's own terminal; without it, dump refuses them.
 */
import type { FileStat } from '../proc/fd-table-read';
import * as fs from 'node:fs';
import { ImageError, UnsupportedError } from '../errors';
import { Entry } from '../images';
import { FdType, FileKind, NO_FOWN, OpenFd } from './types';

const O_CLOEXEC = 0o2000000, O_NOCTTY = 0o400;

/** Unix98 pty slaves (136-143), /dev/ttyN and serial (4), /dev/tty, console and ptmx (5). */
export function isTerminal(st: FileStat): boolean {
  if (!st.isCharacterDevice()) return false;
  const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn);
  return (major >= 136 && major <= 143) || major === 4 || major === 5;
}

function restorerTerminal(): number | undefined {
  for (const fd of [0, 1, 2]) {
    try {
      if (isTerminal(fs.fstatSync(fd))) return fd;
    } catch { /* closed */ }
  }
  return undefined;
}

export const terminal: FileKind = {
  name: 'terminal',
  type: FdType.TTY,
  matches: (f: OpenFd) => isTerminal(f.stat),
  dump(f: OpenFd, id: number, ctx) {
    if (!ctx.shellJob) {
      throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, 'a terminal: restore can only put it on a terminal; use --shell-job');
    }
    return {
      type: FdType.TTY, id,
      tty: { id, tty_info_id: 0, flags: f.info.flags & ~O_CLOEXEC, fown: NO_FOWN },
      // amber keeps the terminal's path beside it, for restores that are not shell jobs.
      reg: { id, flags: f.info.flags & ~O_CLOEXEC, pos: 0n, fown: NO_FOWN, name: f.link },
    };
  },
  open(entry: Entry, ctx) {
    const own = ctx.shellJob ? restorerTerminal() : undefined;
    // O_NOCTTY: a restorer that leads a session without a terminal must not take this one.
    if (own !== undefined) return { fd: fs.openSync(`/proc/self/fd/${own}`, (entry.tty?.flags ?? 2) | O_CLOEXEC | O_NOCTTY) };
    const name = entry.reg?.name;
    if (typeof name !== 'string') throw new ImageError('files.img', entry.id, 'terminal entry without a path, and the restorer has no terminal (--shell-job)');
    return { fd: fs.openSync(name, (entry.tty?.flags ?? 2) | O_CLOEXEC | O_NOCTTY) };
  },
};
