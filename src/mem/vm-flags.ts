/**
 * Every VmFlags mnemonic of /proc/PID/smaps, and what amber does with it: carried (and how),
 * derived (it follows from what is carried: protections, the kind of mapping), or refused. A
 * flag this table does not know makes the dump fail too: a newer kernel's state is refused,
 * never dropped. test/mem/vm-flags.test.ts checks the table against the mappings on the machine.
 */
export type VmFlagRule =
  | { how: 'derived'; what: string }
  | { how: 'carried'; what: string; madvise?: number }
  | { how: 'refused'; why: string };

const derived = (what: string): VmFlagRule => ({ how: 'derived', what });
const refused = (why: string): VmFlagRule => ({ how: 'refused', why });
const advised = (what: string, madvise: number): VmFlagRule => ({ how: 'carried', what, madvise });

export const VM_FLAGS: Record<string, VmFlagRule> = {
  rd: derived('PROT_READ'), wr: derived('PROT_WRITE'), ex: derived('PROT_EXEC'), sh: derived('MAP_SHARED'),
  mr: derived('may read (from the mapping kind)'), mw: derived('may write'), me: derived('may execute'), ms: derived('may share'),
  gd: derived('MAP_GROWSDOWN (stack)'), ac: derived('accounted (private writable)'),
  de: derived('VM_DONTEXPAND of special mappings (vDSO, vvar)'), dw: derived('write-denied mapping of an executable'),
  sd: derived('soft-dirty tracking'), mm: derived('mixed map of special mappings'),
  ar: derived('architecture-specific (vDSO)'),
  lo: { how: 'carried', what: 'mlock (vma_entry.mlock)' }, lf: { how: 'carried', what: 'mlock2 MLOCK_ONFAULT (vma_entry.mlock)' },
  nr: { how: 'carried', what: 'MAP_NORESERVE' },
  rr: advised('MADV_RANDOM', 1), sr: advised('MADV_SEQUENTIAL', 2), dc: advised('MADV_DONTFORK', 10),
  mg: advised('MADV_MERGEABLE', 12), hg: advised('MADV_HUGEPAGE', 14), nh: advised('MADV_NOHUGEPAGE', 15),
  dd: advised('MADV_DONTDUMP', 16), wf: advised('MADV_WIPEONFORK', 18),
  ht: refused('hugetlb memory (MAP_HUGETLB, an MFD_HUGETLB memfd or a hugetlbfs file) is not carried: amber does not dump huge pages yet'),
  io: refused('device I/O mappings cannot be checkpointed'), pf: refused('device I/O mappings cannot be checkpointed'),
  sf: refused('synchronous page faults (DAX) are not supported'),
  nl: refused('non-linear mappings are not supported'),
  um: refused('the mapping is registered with userfaultfd (missing pages), which amber does not carry yet'),
  uw: refused('the mapping is registered with userfaultfd (write-protect), which amber does not carry yet'),
  ui: refused('the mapping is registered with userfaultfd (minor faults), which amber does not carry yet'),
  ss: refused('shadow stacks are not supported yet'),
  sl: refused('sealed mappings (mseal) are not supported yet'),
  bt: refused('arm64 BTI guarded pages are not supported'), mt: refused('arm64 MTE tagged memory is not supported'),
  gu: refused('guard regions (MADV_GUARD_INSTALL) are not supported yet'),
};

/** The reason a mapping with these flags is refused, or undefined when all are understood. */
export function refusedVmFlag(flags: Iterable<string>): string | undefined {
  for (const f of flags) {
    const rule = VM_FLAGS[f];
    if (!rule) return `VmFlag "${f}" is unknown to this amber, so it cannot carry it`;
    if (rule.how === 'refused') return rule.why;
  }
  return undefined;
}

/** madvise advice recorded as bits (1 << advice) in vma_entry.madv. */
export function madviseBits(flags: Iterable<string>): bigint {
  let madv = 0n;
  for (const f of flags) {
    const rule = VM_FLAGS[f];
    if (rule?.how === 'carried' && rule.madvise !== undefined) madv |= 1n << BigInt(rule.madvise);
  }
  return madv;
}
