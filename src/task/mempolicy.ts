/**
 * NUMA memory policies: a thread's (set_mempolicy) and a mapping's (mbind). amber does not carry
 * them yet, so anything but the default policy fails the dump, naming the thread or mapping.
 */
import * as fs from 'node:fs';
import { UnsupportedError } from '../errors';
import { Injected } from './injected';

const SYS_get_mempolicy = 239;
const MPOL_DEFAULT = 0;
const MODES = ['default', 'preferred', 'bind', 'interleave', 'local', 'preferred-many', 'weighted-interleave'];

export function refuseThreadMempolicy(t: Injected, tid: number): void {
  t.mem.write(t.data, Buffer.alloc(4));
  const r = t.remote.raw(SYS_get_mempolicy, t.data, 0, 0, 0, 0);
  if (r < 0n) return; // no NUMA in this kernel
  const mode = t.mem.read(t.data, 4).readInt32LE(0) & 0xffff;
  if (mode !== MPOL_DEFAULT) throw new UnsupportedError(tid, 'thread', `its NUMA memory policy (${MODES[mode] ?? mode}, set_mempolicy) is not carried yet`);
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
