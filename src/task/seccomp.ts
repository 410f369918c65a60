/**
 * seccomp (seccomp.img + thread_core_entry seccomp_mode/seccomp_filter). Each thread's filter
 * chain is read with PTRACE_SECCOMP_GET_FILTER (index 0 is the oldest); chains are stored once
 * as a list where each filter names the one installed before it, as CRIU does: prev is that
 * filter's index in seccomp.img, absent for the oldest (amber wrote index + 1, 0 for none, until
 * CRIU 4.2 was seen to loop on it; such images are refused).
 * Restore installs a thread's chain oldest first, after everything else that thread needs;
 * PTRACE_O_SUSPEND_SECCOMP keeps the filters from judging the syscalls we inject meanwhile.
 */
import { native } from '../native';
import { ImageError } from '../errors';
import { Entry } from '../images';
import { Injected } from './injected';

export const SECCOMP_MODE = { disabled: 0, strict: 1, filter: 2 } as const;
const SYS_seccomp = 317;
const SECCOMP_SET_MODE_STRICT = 0, SECCOMP_SET_MODE_FILTER = 1;

/** Filters of the whole dump, deduplicated by (program, previous filter). */
export class SeccompFilters {
  readonly entries: Entry[] = [];
  private readonly index = new Map<string, number>();

  /** Reads tid's chain; returns the index of its newest filter, or undefined without filters. */
  addThread(tid: number): number | undefined {
    const chain: Buffer[] = [];
    for (let i = 0; ; i++) {
      const f = native.ptraceSeccompGetFilter(tid, i);
      if (!f) break;
      chain.push(f);
    }
    let prev: number | undefined; // index of the previous filter, none for the oldest
    for (const prog of chain) {
      const key = `${prev ?? '-'}:${prog.toString('base64')}`;
      let idx = this.index.get(key);
      if (idx === undefined) {
        idx = this.entries.length;
        this.entries.push({ filter: prog, prev, flags: 0 });
        this.index.set(key, idx);
      }
      prev = idx;
    }
    return prev;
  }
}

export function restoreSeccomp(t: Injected, mode: number, top: number | undefined, filters: Entry[]): void {
  if (mode === SECCOMP_MODE.strict) {
    t.remote.call(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, 0);
    return;
  }
  if (mode !== SECCOMP_MODE.filter || top === undefined) return;
  const chain: Buffer[] = [];
  for (let i: number = top; ; ) {
    const f = filters[i];
    if (!f) throw new ImageError('seccomp.img', i, 'filter missing from the chain');
    chain.push(f.filter);
    if (f.prev === undefined) break;
    // A filter was installed after the one it names: an earlier index (older amber images, with
    // index + 1 there, fail here).
    if (f.prev >= i) throw new ImageError('seccomp.img', i, `filter ${i} names filter ${f.prev} as the one before it`);
    i = f.prev;
  }
  for (const prog of chain.reverse()) {
    if (prog.length + 16 > t.dataSize) throw new ImageError('seccomp.img', top, `filter of ${prog.length / 8} instructions is too large`);
    // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
    const fprog = Buffer.alloc(16);
    fprog.writeUInt16LE(prog.length / 8, 0);
    fprog.writeBigUInt64LE(t.data + 16n, 8);
    t.mem.write(t.data, fprog);
    t.mem.write(t.data + 16n, prog);
    t.remote.call(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, t.data);
  }
}
