/**
 * Every row of /proc/PID/status and what amber does with it: carried (by which module), derived
 * (follows from what is carried, or is a statistic), or refused when it shows state amber does
 * not carry. A row this table does not know fails the dump: a newer kernel's state is refused,
 * never dropped. test/task/status-rows.test.ts checks the table against this machine's tasks.
 */
import { UnsupportedError } from '../errors';
import { ProcStatus } from '../proc/status';

type Rule = { how: 'carried' | 'derived'; what: string } | { how: 'checked'; what: string; refuse: (v: string) => string | undefined };

const carried = (what: string): Rule => ({ how: 'carried', what });
const derived = (what: string): Rule => ({ how: 'derived', what });
const checked = (what: string, refuse: (v: string) => string | undefined): Rule => ({ how: 'checked', what, refuse });

const ALL_ONES = /^0*f{16}$/i;

export const STATUS_ROWS: Record<string, Rule> = {
  Name: carried('comm'), Umask: carried('fs umask'), State: carried('task_state (stopped, zombie)'),
  Tgid: carried('pstree'), Ngid: derived('NUMA balancing group, kernel-chosen'), Pid: carried('pstree'), PPid: carried('pstree'),
  TracerPid: checked('ptrace', (v) => (v !== '0' && Number(v) !== process.pid ? `it is traced by task ${v}, and a traced task cannot be checkpointed` : undefined)),
  Uid: carried('creds'), Gid: carried('creds'), FDSize: derived('fd table size'), Groups: carried('creds'),
  NStgid: checked('pid namespaces', nestedPidns), NSpid: checked('pid namespaces', nestedPidns),
  NSpgid: checked('pid namespaces', nestedPidns), NSsid: checked('pid namespaces', nestedPidns),
  Kthread: checked('kernel threads', (v) => (v !== '0' ? 'kernel threads cannot be checkpointed' : undefined)),
  VmPeak: derived('memory statistics'), VmSize: derived('mappings'), VmLck: carried('vma mlock'), VmPin: derived('pinned pages (kernel users)'),
  VmHWM: derived('memory statistics'), VmRSS: derived('pages'), RssAnon: derived('pages'), RssFile: derived('pages'), RssShmem: derived('pages'),
  VmData: derived('mappings'), VmStk: derived('mappings'), VmExe: derived('mappings'), VmLib: derived('mappings'), VmPTE: derived('page tables'),
  VmSwap: derived('swapped pages are read back with the others'), HugetlbPages: derived('hugetlb mappings are refused by VmFlags ht'),
  CoreDumping: checked('core dump', (v) => (v !== '0' ? 'the task is dumping core' : undefined)),
  THP_enabled: carried('mm thp_disabled'),
  untag_mask: checked('address tagging (LAM)', (v) => (ALL_ONES.test(v.replace(/^0x/, '')) ? undefined : `linear address masking is enabled (untag_mask ${v}), which amber does not carry yet`)),
  Threads: carried('pstree threads'), SigQ: derived('queued signals count'),
  SigPnd: carried('signals_p'), ShdPnd: carried('signals_s'), SigBlk: carried('blk_sigset'), SigIgn: carried('sigactions'), SigCgt: carried('sigactions'),
  CapInh: carried('creds'), CapPrm: carried('creds'), CapEff: carried('creds'), CapBnd: carried('creds'), CapAmb: carried('creds cap_amb'),
  NoNewPrivs: carried('creds'), Seccomp: carried('seccomp'), Seccomp_filters: carried('seccomp'),
  Speculation_Store_Bypass: carried('thread spec_ctrl'), SpeculationIndirectBranch: carried('thread spec_ctrl'),
  Cpus_allowed: carried('thread cpu_affinity'), Cpus_allowed_list: carried('thread cpu_affinity'),
  Mems_allowed: derived('the cpuset of the task\'s cgroup'), Mems_allowed_list: derived('the cpuset of the task\'s cgroup'),
  voluntary_ctxt_switches: derived('statistic'), nonvoluntary_ctxt_switches: derived('statistic'),
  x86_Thread_features: checked('x86 user shadow stack', (v) => (v.trim() === '' ? undefined : `x86 thread features "${v}" (shadow stack) are not supported yet`)),
  x86_Thread_features_locked: checked('x86 user shadow stack', (v) => (v.trim() === '' ? undefined : `locked x86 thread features "${v}" are not supported yet`)),
};

function nestedPidns(v: string): string | undefined {
  return v.trim().split(/\s+/).length > 1 ? 'the task lives in a nested pid namespace, which amber does not carry yet' : undefined;
}

/** Throws for a status row that is unknown or shows state amber cannot carry. */
export function refuseStatusState(tid: number, st: ProcStatus): void {
  for (const [key, value] of st) {
    const rule = STATUS_ROWS[key];
    if (!rule) throw new UnsupportedError(tid, 'task', `/proc status row "${key}" is unknown to this amber, so it cannot tell whether it carries it`);
    if (rule.how === 'checked') {
      const why = rule.refuse(value);
      if (why) throw new UnsupportedError(tid, 'task', why);
    }
  }
}
