/**
 * NUMA memory policies: a thread's (set_mempolicy) and a mapping's (mbind). amber does not carry
 * them yet, so anything but the default policy fails the dump, naming the thread or mapping.
 */
import * as fs from 'node:fs';
import { UnsupportedError } from '../errors';
import type { Query } from './queries';

const SYS_get_mempolicy = 239;
const MPOL_DEFAULT = 0;
const MODES = ['default', 'preferred', 'bind', 'interleave', 'local', 'preferred-many', 'weighted-interleave'];

/** The thread's policy mode (get_mempolicy), undefined without NUMA in the kernel. */
export const threadMempolicy: Query<number | undefined> = {
  bytes: 4,
  calls: (at) => [{ nr: SYS_get_mempolicy, args: [at, 0, 0, 0, 0] }],
  read: ([r], data) => (r < 0n ? undefined : data.readInt32LE(0) & 0xffff),
};

/** Anything but the default policy is refused, naming the thread. */
export function refuseThreadMempolicy(tid: number, mode: number | undefined): void {
  if (mode !== undefined && mode !== MPOL_DEFAULT) throw new UnsupportedError(tid, 'thread', `its NUMA memory policy (${MODES[mode] ?? mode}, set_mempolicy) is not carried yet`);
}

const MPOL_F_ADDR = 2;
const ENOSYS = 38n;

/**
 * The policy of the mapping at each address (get_mempolicy with MPOL_F_ADDR: the mapping's own,
 * or the default for one without), undefined where the kernel has no NUMA. Asked of the task
 * instead of reading numa_maps, which walks every page: 28 ms for 1 GiB of memory.
 */
export function mappingPolicies(starts: readonly bigint[]): Query<(number | undefined)[] | undefined> {
  return {
    bytes: 4 * starts.length,
    calls: (at) => starts.map((start, i) => ({ nr: SYS_get_mempolicy, args: [at + BigInt(4 * i), 0, 0, start, MPOL_F_ADDR] })),
    read: (results, data) => {
      if (results.some((r) => r === -ENOSYS)) return undefined;
      return results.map((r, i) => (r < 0n ? undefined : data.readInt32LE(4 * i) & 0xffff));
    },
  };
}

/**
 * Refuses a mapping whose policy is not the default, from mappingPolicies' answers; a mapping
 * the kernel would not answer for (none should be) is asked of numa_maps after all.
 */
export function refuseAskedPolicies(pid: number, starts: readonly bigint[], modes: (number | undefined)[] | undefined): void {
  if (!modes) return;
  if (modes.some((m) => m === undefined)) {
    refuseMappingPolicies(pid);
    return;
  }
  modes.forEach((mode, i) => {
    if (mode !== MPOL_DEFAULT) throw new UnsupportedError(pid, `mapping at ${starts[i].toString(16)}`, `its NUMA memory policy (${MODES[mode!] ?? mode}, mbind) is not carried yet`);
  });
}

/** Mappings with a policy of their own show it in numa_maps ("bind:0", "interleave:0-1"...). */
export function refuseMappingPolicies(pid: number): void {
  let text: string;
  try { text = fs.readFileSync(`/proc/${pid}/numa_maps`, 'utf8'); } catch { return; }
  for (const line of text.split('\n')) {
    const [addr, policy] = line.split(' ');
    if (policy && policy !== 'default') throw new UnsupportedError(pid, `mapping at ${addr}`, `its NUMA memory policy (${policy}, mbind) is not carried yet`);
  }
}
