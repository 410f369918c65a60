/**
 * signalfd (signalfd_entry): the signal set from fdinfo's `sigmask:` row (hex, bit n-1 for
 * signal n) and the file status flags; remade with signalfd4 in the restorer. The signals it
 * reads are the pending signals of whichever task reads it, restored with that task.
 */
import { mutated } from '../mutant';
import { native } from '../native';
import { Entry } from '../images';
import { UnsupportedError } from '../errors';
import { FdType, FileKind, NO_FOWN, OpenFd } from './types';

const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
const SFD_NONBLOCK = O_NONBLOCK, SFD_CLOEXEC = O_CLOEXEC;

/** The signal set of a signalfd as fdinfo shows it. */
export function signalfdMask(f: OpenFd): bigint {
  const row = f.info.rows.get('sigmask');
  if (row === undefined || !/^[0-9a-f]{1,16}$/i.test(row)) {
    throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `unreadable sigmask in fdinfo: ${JSON.stringify(row)}`);
  }
  return BigInt('0x' + row);
}

export const signalfd: FileKind = {
  name: 'signalfd',
  type: FdType.SIGNALFD,
  matches: (f: OpenFd) => f.link === 'anon_inode:[signalfd]',
  dump(f: OpenFd, id: number) {
    return { type: FdType.SIGNALFD, id, sgfd: { id, flags: f.info.flags & ~O_CLOEXEC, fown: NO_FOWN, sigmask: signalfdMask(f) } };
  },
  open(entry: Entry) {
    const e = entry.sgfd;
    // Opened close-on-exec in the restorer; the task's FD_CLOEXEC comes from fdinfo_entry.
    return { fd: native.signalfd(mutated('skip-signalfd-mask') ? 0n : BigInt(e.sigmask), SFD_CLOEXEC | (e.flags & O_NONBLOCK ? SFD_NONBLOCK : 0)) };
  },
};
