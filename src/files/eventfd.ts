/** eventfd (eventfd_file_entry): counter and flags from fdinfo; remade with eventfd2 and a write of the count. */
import { mutated } from '../mutant';
import * as fs from 'node:fs';
import { native } from '../native';
import { Entry } from '../images';
import { FdType, FileKind, NO_FOWN, OpenFd } from './types';
import { pretends } from '../fault';

const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
const F_SETFL = 4;
/** amber keeps EFD_SEMAPHORE in bit 0 of flags, which file status flags of an eventfd never use. */
export const EFD_SEMAPHORE = 1;

/**
 * Whether an eventfd is a semaphore (EFD_SEMAPHORE), where fdinfo does not say (older kernels:
 * 5.10 has no eventfd-semaphore row; 6.18 has):
 * through amber's duplicate of it, a read takes 1 from a semaphore and all from a counter.
 * The count is made at least 2 first (a count of 1 reads 1 either way; a read of 0 would block)
 * and is left as it was. The tree is frozen, so no task of it sees the count move; what it may
 * see is a readiness wakeup on an epoll or poll of it (edge-triggered epoll: one event).
 */
function askSemaphore(fd: number, count: bigint): boolean {
  const b = Buffer.alloc(8);
  const add = (n: bigint) => { b.writeBigUInt64LE(n); fs.writeSync(fd, b); };
  const take = () => { fs.readSync(fd, b, 0, 8, null); return b.readBigUInt64LE(0); };
  const lift = count < 2n ? 2n - count : 0n;
  if (lift) add(lift);
  const got = take();
  const semaphore = got === 1n;
  // Back to `count`: a semaphore has count + lift - 1 now, a counter 0.
  if (semaphore) {
    if (lift > 1n) { for (let i = 1n; i < lift; i++) take(); } else if (lift === 0n) add(1n);
  } else if (count > 0n) {
    add(count);
  }
  return semaphore;
}

export const eventfd: FileKind = {
  name: 'eventfd',
  type: FdType.EVENTFD,
  matches: (f: OpenFd) => f.link === 'anon_inode:[eventfd]',
  dump(f: OpenFd, id: number, ctx) {
    const count = BigInt('0x' + (f.info.rows.get('eventfd-count') ?? '0').trim());
    const row = pretends(ctx.fault, 'no-eventfd-semaphore-row') ? undefined : f.info.rows.get('eventfd-semaphore');
    const semaphore = row !== undefined ? row === '1' : askSemaphore(f.pid === process.pid ? f.fd : ctx.grabFd(f.pid, f.fd), count);
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
