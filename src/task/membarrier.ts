/**
 * membarrier(2) registrations of a process (its mm): a program that registered for private
 * expedited barriers gets EPERM from them after a restore that forgot it. The kernel reports
 * them with MEMBARRIER_CMD_GET_REGISTRATIONS (6.3+, made for checkpointing); on older kernels
 * the private ones are probed (the barrier itself fails with EPERM when not registered), and a
 * global registration cannot be seen: it is the one thing amber cannot check there.
 */
import { Injected } from './injected';
import type { Query } from './queries';
import { mutated } from '../mutant';

const SYS_membarrier = 324;
const CMD_GET_REGISTRATIONS = 1 << 9;
const REGISTER_GLOBAL_EXPEDITED = 1 << 2;
/** Each private registration and the barrier that needs it. */
const PRIVATE = [
  { register: 1 << 4, barrier: 1 << 3 }, // PRIVATE_EXPEDITED
  { register: 1 << 6, barrier: 1 << 5 }, // PRIVATE_EXPEDITED_SYNC_CORE
  { register: 1 << 8, barrier: 1 << 7 }, // PRIVATE_EXPEDITED_RSEQ
];
const EINVAL = -22n;

/** The registrations in effect (REGISTER_* command bits). */
export const membarrierRegistrations: Query<bigint> = {
  bytes: 0,
  calls: () => [{ nr: SYS_membarrier, args: [CMD_GET_REGISTRATIONS, 0, 0] }],
  read: ([r]) => r,
};

/**
 * The registrations from MEMBARRIER_CMD_GET_REGISTRATIONS's raw answer (`asked`); before 6.3
 * (EINVAL) each private command is tried: it fails unless registered.
 */
export function membarrierFrom(t: Injected, asked: bigint): number {
  if (asked >= 0n) return Number(asked);
  if (asked !== EINVAL) return 0; // no membarrier in this kernel: nothing can be registered
  let bits = 0;
  for (const c of PRIVATE) if (t.remote.raw(SYS_membarrier, c.barrier, 0, 0) === 0n) bits |= c.register;
  return bits;
}

export function restoreMembarrier(t: Injected, registered: number | undefined): void {
  if (!registered || mutated('skip-membarrier')) return;
  for (const bit of [REGISTER_GLOBAL_EXPEDITED, ...PRIVATE.map((c) => c.register)]) {
    if (registered & bit) t.remote.call(SYS_membarrier, bit, 0, 0);
  }
}
