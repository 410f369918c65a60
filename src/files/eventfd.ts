/** eventfd (eventfd_file_entry): counter and flags from fdinfo; remade with eventfd2 and a write of the count. */
import { mutated } from '../mutant';
import * as fs from 'node:fs';
import { native } from '../native';
import { Entry } from '../images';
import { FdType, FileKind, NO_FOWN, OpenFd } from './types';

const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
const F_SETFL = 4;
/** amber keeps EFD_SEMAPHORE in bit 0 of flags, which file status flags of an eventfd never use. */
export const EFD_SEMAPHORE = 1;

export const eventfd: FileKind = {
  name: 'eventfd',
  type: FdType.EVENTFD,
  matches: (f: OpenFd) => f.link === 'anon_inode:[eventfd]',
  dump(f: OpenFd, id: number) {
    const count = BigInt('0x' + (f.info.rows.get('eventfd-count') ?? '0').trim());
    const semaphore = f.info.rows.get('eventfd-semaphore') === '1';
    return {
      type: FdType.EVENTFD, id,
      efd: { id, flags: (f.info.flags & ~O_CLOEXEC & ~3) | (semaphore ? EFD_SEMAPHORE : 0), fown: NO_FOWN, counter: count },
    };
  },
  open(entry: Entry) {
    const e = entry.efd;
    const fd = native.eventfd(0, O_CLOEXEC | (e.flags & EFD_SEMAPHORE));
    if (e.counter > 0n && !mutated('skip-eventfd-counter')) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(e.counter);
      fs.writeSync(fd, b);
    }
    native.fcntl(fd, F_SETFL, e.flags & O_NONBLOCK);
    return { fd };
  },
};
