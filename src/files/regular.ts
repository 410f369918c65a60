/**
 * Regular files, directories and character devices other than terminals (/dev/null, /dev/zero,
 * /dev/urandom...), reopened by path with the same flags and offset (reg_file_entry). A regular
 * file whose path no longer leads to it (unlinked) is carried as a ghost (ghost.ts), or with
 * --link-remap by a hard link made at dump when it still has a link (link-remap.ts); a removed
 * directory as a ghost directory.
 */
import * as fs from 'node:fs';
import { FileChangedError, ImageError, nodeErrorToSys, UnsupportedError } from '../errors';
import { Entry } from '../images';
import { FdType, FileKind, NO_FOWN, OpenFd } from './types';
import { isTerminal } from './tty';
import { DELETED, dumpGhost, dumpGhostDir, ghostOf, ghostPath, linkedOf, openGhost } from './ghost';
import { dumpLinkRemap, openLinked } from './link-remap';
import { refuseForeignProcFile } from './proc-files';
import { mutated } from '../mutant';

const O_CLOEXEC = 0o2000000;
/** Flags that only mean something at creation time: never replayed on reopen. */
const CREATION_FLAGS = 0o100 | 0o200 | 0o400 | 0o1000; // O_CREAT O_EXCL O_NOCTTY O_TRUNC
/** The skip-file-flags mutant reopens with the access mode, O_PATH and O_DIRECTORY only. */
const MUTANT_KEPT_FLAGS = 0o3 | 0o10000000 | 0o200000;

/**
 * The file opened at restore must be the one dumped as far as the images tell: the same size (a
 * regular file) and the same mode (type and permissions), else restore fails naming it.
 */
function checkSameFile(fd: number, reg: Entry): void {
  const st = fs.fstatSync(fd, { bigint: true });
  if (reg.size !== undefined && st.size !== BigInt(reg.size)) {
    throw new FileChangedError(reg.name, 'its size', `${reg.size} bytes`, `${st.size} bytes`);
  }
  if (reg.mode !== undefined && Number(st.mode) !== reg.mode) {
    throw new FileChangedError(reg.name, 'its mode', `0${reg.mode.toString(8)}`, `0${st.mode.toString(8)}`);
  }
}

export const regularFile: FileKind = {
  name: 'regular file',
  type: FdType.REG,
  matches(f: OpenFd) {
    return (f.stat.isFile() || f.stat.isDirectory() || (f.stat.isCharacterDevice() && !isTerminal(f.stat))) && f.link.startsWith('/');
  },
  dump(f: OpenFd, id: number, ctx) {
    refuseForeignProcFile(f, ctx);
    let ghost: string | undefined;
    if (f.stat.isFile()) {
      ghost = ghostPath(f);
      if (ghost !== undefined && !dumpLinkRemap(f, id, ghost, ctx)) dumpGhost(f, id, ghost, ctx);
    } else if (f.link.endsWith(DELETED) && (ghost = ghostPath(f)) !== undefined) {
      // Removed, unless the name really ends so (then ghostPath finds it there).
      if (!f.stat.isDirectory()) throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, 'the open device node was unlinked; amber does not recreate device nodes');
      dumpGhostDir(f.pid, `/proc/${f.pid}/fd/${f.fd}`, f.link, id, ctx);
    }
    return {
      type: FdType.REG, id,
      reg: {
        id, flags: f.info.flags & ~O_CLOEXEC, pos: f.info.pos,
        fown: NO_FOWN,
        name: ghost ?? f.link, mnt_id: f.info.mntId,
        size: f.stat.isFile() ? BigInt(f.stat.size) : undefined, mode: f.stat.mode,
      },
    };
  },
  open(entry: Entry, ctx) {
    const reg = entry.reg;
    if (!reg || typeof reg.name !== 'string') throw new ImageError('files.img', entry.id, 'regular file entry without a name');
    let fd: number;
    const ghost = ghostOf(reg.id, ctx);
    const linked = linkedOf(reg.id, ctx);
    const flags = mutated('skip-file-flags') ? reg.flags & MUTANT_KEPT_FLAGS : reg.flags & ~CREATION_FLAGS;
    if (ghost !== undefined) fd = openGhost(ghost, reg.name, flags, ctx);
    else if (linked !== undefined) fd = openLinked(linked, reg.name, flags, ctx);
    else {
      try {
        fd = fs.openSync(reg.name, flags | O_CLOEXEC);
      } catch (e) {
        throw nodeErrorToSys(e, `open ${reg.name}`);
      }
    }
    try {
      checkSameFile(fd, reg);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    return { fd, pos: reg.pos };
  },
};
