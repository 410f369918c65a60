/**
 * Restartable sequences registration (thread_core_entry.rseq_entry).
 *
 * From 5.13 the kernel tells where a thread's rseq area is (PTRACE_GET_RSEQ_CONFIGURATION).
 * Before, amber asks the thread itself: an injected rseq() with a candidate registration answers
 * EBUSY exactly when that registration is the one in force (EINVAL: another area or size, EPERM:
 * another signature), and registers it when the thread had none (undone at once). The candidate
 * is glibc's (glibc-rseq.ts); a task without glibc's symbols is asked with an area of amber's in
 * the scratch area, which the escape code unregisters if amber dies in between.
 */
import { native } from '../native';
import { UnsupportedError } from '../errors';
import { isErrorResult } from '../compel/remote-syscalls';
import { SYS } from '../arch/x86_64/syscalls';
import { Injected } from './injected';
import { GlibcRseq } from './glibc-rseq';

const RSEQ_FLAG_UNREGISTER = 1;
/** x86_64's RSEQ_SIG, the signature glibc registers with. */
export const RSEQ_SIG = 0x53053053;
/** struct rseq's size, the only length kernels before 6.3 take. */
const RSEQ_LEN = 32;
const EBUSY = 16, EINVAL = 22, EPERM = 1;
const AMBERS = "an area of amber's";

export interface RseqEntry { rseq_abi_pointer: bigint; rseq_abi_size: number; signature: number }

/** What PTRACE_GET_RSEQ_CONFIGURATION answers; 'unknown' where the kernel lacks it (before 5.13). */
export function kernelRseq(tid: number): RseqEntry | undefined | 'unknown' {
  let b: Buffer;
  try {
    b = native.ptraceGetRseqConfig(tid);
  } catch (e) {
    if ((e as { code?: string }).code === 'EIO') return 'unknown';
    throw e;
  }
  const e = { rseq_abi_pointer: b.readBigUInt64LE(0), rseq_abi_size: b.readUInt32LE(8), signature: b.readUInt32LE(12) };
  return e.rseq_abi_pointer === 0n ? undefined : e;
}

/** How to ask a thread for its registration when the kernel cannot tell. */
export interface RseqProbe {
  /** The thread, under injection. */
  t: Injected;
  /** Its thread pointer (fs_base). */
  tp: bigint;
  /** glibc's layout in its process, if it has glibc 2.35+. */
  glibc?: GlibcRseq;
  /** 32 zeroed, writable bytes of amber's in the task (32-aligned), for a task without glibc's. */
  area?: bigint;
  /** Ask even where the kernel could tell (AMBER_FAULT=pretend:no-get-rseq-conf, for tests). */
  always?: boolean;
  /** Called while a question holds a registration of amber's making (tests stop amber there). */
  whileAsked?: () => void;
}

/** rseq() inside the thread: 0 or the errno it answered. */
function rseqCall(t: Injected, area: bigint, flags: number): number {
  const r = t.remote.raw(SYS.rseq, area, RSEQ_LEN, flags, RSEQ_SIG);
  return isErrorResult(r) ? Number(-r) : 0;
}

/**
 * Asks the thread whether `area` is its registration: EBUSY yes; registered by the question
 * (none before): undone, none; otherwise refused, since amber cannot find it.
 */
function askThread(tid: number, p: RseqProbe, area: bigint, whose: string): RseqEntry | undefined {
  // What the kernel writes into the area on registering and unregistering (cpu ids), put back.
  const before = p.t.mem.read(area, 8);
  const r = rseqCall(p.t, area, 0);
  if (r === EBUSY) return { rseq_abi_pointer: area, rseq_abi_size: RSEQ_LEN, signature: RSEQ_SIG };
  if (r === 0) {
    p.whileAsked?.();
    const u = rseqCall(p.t, area, RSEQ_FLAG_UNREGISTER);
    p.t.mem.write(area, before);
    if (u !== 0) throw new UnsupportedError(tid, 'rseq', `undoing the rseq registration asked at ${whose} failed (errno ${u})`);
    return undefined;
  }
  const why = r === EPERM ? `its rseq area is ${whose} but registered with another signature than 0x${RSEQ_SIG.toString(16)}`
    : r === EINVAL ? (whose === AMBERS ? 'it has an rseq area of its own (it has no glibc 2.35+)' : `it has an rseq area other than ${whose}`)
      : `rseq() answered errno ${r} asked about ${whose}`;
  throw new UnsupportedError(tid, 'rseq', `${why}, and this kernel (before 5.13, no PTRACE_GET_RSEQ_CONFIGURATION) cannot tell where: amber check --feature get_rseq_conf`);
}

/** The thread's registration, from the kernel or, before 5.13, by asking the thread (`probe`). */
export function readRseq(tid: number, probe?: RseqProbe): RseqEntry | undefined {
  const k = probe?.always ? 'unknown' : kernelRseq(tid);
  if (k !== 'unknown') return k;
  if (!probe) throw new UnsupportedError(tid, 'rseq', 'this kernel lacks PTRACE_GET_RSEQ_CONFIGURATION (5.13+): amber check --feature get_rseq_conf');
  // A thread without a thread pointer yet (a program just exec'd, before its loader set TLS up)
  // has no glibc registration yet either: asked with amber's area, like a task without glibc.
  if (probe.glibc && probe.tp !== 0n && probe.glibc.offset !== 0n) {
    return askThread(tid, probe, BigInt.asUintN(64, probe.tp + probe.glibc.offset), "glibc's (thread pointer + __rseq_offset)");
  }
  if (probe.area !== undefined) return askThread(tid, probe, probe.area, AMBERS);
  throw new UnsupportedError(tid, 'rseq', 'this kernel lacks PTRACE_GET_RSEQ_CONFIGURATION (5.13+) and the task has no glibc to say where its rseq area would be');
}

export function unregisterRseq(t: Injected, e: RseqEntry): void {
  t.remote.call(SYS.rseq, e.rseq_abi_pointer, e.rseq_abi_size, RSEQ_FLAG_UNREGISTER, e.signature);
}

/** The call that registers `e`, for a batch. */
export function registerRseqCall(e: RseqEntry): { nr: number; args: (number | bigint)[] } {
  return { nr: SYS.rseq, args: [e.rseq_abi_pointer, e.rseq_abi_size, 0, e.signature] };
}

export function registerRseq(t: Injected, e: RseqEntry): void {
  t.remote.call(SYS.rseq, e.rseq_abi_pointer, e.rseq_abi_size, 0, e.signature);
}
