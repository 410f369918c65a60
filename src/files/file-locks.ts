/**
 * File locks (file-lock.img): flock locks and leases (held by an open file description), OFD
 * locks (likewise) and POSIX record locks (held by the task's fd table). The kernel lists the
 * locks taken through an fd in its fdinfo ("lock:" rows). Without -l/--file-locks a held lock
 * fails the dump, naming the fd; with it each lock is taken again at restore by the task that
 * held it, through the same fd, once its fds are in place.
 */
import { UnsupportedError } from '../errors';
import { Entry } from '../images';
import { SYS } from '../arch/x86_64/syscalls';
import { Injected } from '../task/injected';
import { OpenFd } from './types';
import { mutated } from '../mutant';

export const FILE_LOCKS_IMG = 'file-lock.img';
export const FL_POSIX = 1, FL_FLOCK = 2, FL_LEASE = 32, FL_OFDLCK = 1024;
const F_RDLCK = 0, F_WRLCK = 1;
const F_SETLK = 6, F_SETLEASE = 1024, F_OFD_SETLK = 37;
const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4;
const SEEK_SET = 0;

const FLAG_BY_KIND: Record<string, number> = { POSIX: FL_POSIX, FLOCK: FL_FLOCK, OFDLCK: FL_OFDLCK, LEASE: FL_LEASE };
// "lock:	1: FLOCK  ADVISORY  WRITE 11409 fe:00:2146436 0 EOF"; leases: "LEASE  ACTIVE  READ ..."
const LOCK_ROW = /^lock:\s+\d+:\s+(\S+)\s+(\S+)\s+(\S+)\s+(-?\d+)\s+\S+\s+(\d+)\s+(\d+|EOF)\s*$/;

export interface HeldLock {
  kind: string;
  entry: Entry;
}

/** The locks taken through fd f, as fdinfo lists them; throws for what cannot be carried. */
export function locksOf(f: OpenFd): HeldLock[] {
  const out: HeldLock[] = [];
  for (const line of f.info.text.split('\n')) {
    if (!line.startsWith('lock:')) continue;
    const m = LOCK_ROW.exec(line.trim());
    const res = `fd ${f.fd} (${f.link})`;
    if (!m) throw new UnsupportedError(f.pid, res, `a file lock amber does not understand: ${line.trim()}`);
    const [, kind, how, mode, , start, end] = m;
    const flag = FLAG_BY_KIND[kind];
    if (flag === undefined) throw new UnsupportedError(f.pid, res, `a ${kind} lock is not supported`);
    if (how === 'MANDATORY') throw new UnsupportedError(f.pid, res, 'mandatory locks are not supported');
    if (kind === 'LEASE' && how !== 'ACTIVE') throw new UnsupportedError(f.pid, res, `a lease being broken (${how}) cannot be carried`);
    if (mode !== 'READ' && mode !== 'WRITE') throw new UnsupportedError(f.pid, res, `a ${kind} lock in mode ${mode} cannot be carried`);
    const s = BigInt(start);
    out.push({
      kind,
      entry: {
        flag, type: mode === 'READ' ? F_RDLCK : F_WRLCK, pid: f.pid, fd: f.fd,
        start: s, len: end === 'EOF' ? 0n : BigInt(end) - s + 1n,
      },
    });
  }
  return out;
}

/** Same lock seen through two fds (several fds of one description, or of one task and file). */
export function lockKey(e: Entry, fileId: number): string {
  const owner = e.flag === FL_POSIX ? `pid ${e.pid}` : `file ${fileId}`;
  return `${e.flag}:${owner}:${e.type}:${e.start}:${e.len}`;
}

/** Takes a lock again, inside the task that held it. */
export function takeLock(t: Injected, e: Entry): void {
  if (mutated('skip-file-locks')) return;
  if (e.flag === FL_FLOCK) {
    t.remote.call(SYS.flock, e.fd, (e.type === F_WRLCK ? LOCK_EX : LOCK_SH) | LOCK_NB);
  } else if (e.flag === FL_LEASE) {
    t.remote.call(SYS.fcntl, e.fd, F_SETLEASE, e.type);
  } else {
    // struct flock: l_type, l_whence (shorts), l_start, l_len (64-bit), l_pid.
    const fl = Buffer.alloc(32);
    fl.writeInt16LE(e.type, 0);
    fl.writeInt16LE(SEEK_SET, 2);
    fl.writeBigInt64LE(BigInt(e.start), 8);
    fl.writeBigInt64LE(BigInt(e.len), 16);
    t.mem.write(t.data, fl);
    t.remote.call(SYS.fcntl, e.fd, e.flag === FL_OFDLCK ? F_OFD_SETLK : F_SETLK, t.data);
  }
}
