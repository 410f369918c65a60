/** amber check: probes the kernel features amber relies on. Prints "Looks good." or what is missing. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { native } from '../native';

function kernelAtLeast(major: number, minor: number): boolean {
  const [a, b] = os.release().split('.').map((x) => parseInt(x, 10));
  return a > major || (a === major && b >= minor);
}

function prctlWorks(option: number, arg: number): () => boolean {
  return () => {
    try {
      native.prctl(option, arg);
      return true;
    } catch {
      return false;
    }
  };
}

export interface Feature { name: string; what: string; probe(): boolean; /** Only some tasks need it. */ optional?: boolean }

const exists = (p: string) => () => fs.existsSync(p);

export const FEATURES: Feature[] = [
  { name: 'ptrace', what: 'ptrace (PTRACE_SEIZE, GETREGSET)', probe: () => true },
  { name: 'pidfd', what: 'pidfd_open and pidfd_getfd', probe: exists('/proc/self/fdinfo') },
  { name: 'map_files', what: '/proc/PID/map_files (CONFIG_CHECKPOINT_RESTORE)', probe: exists('/proc/self/map_files') },
  { name: 'pagemap', what: '/proc/PID/pagemap', probe: exists('/proc/self/pagemap') },
  { name: 'clone3_set_tid', what: 'clone3 with set_tid (5.5+)', probe: exists('/proc/sys/kernel/ns_last_pid') },
  { name: 'rseq', what: 'PTRACE_GET_RSEQ_CONFIGURATION (5.13+)', probe: () => kernelAtLeast(5, 13) },
  { name: 'timer_restore_ids', what: 'PR_TIMER_CREATE_RESTORE_IDS, for POSIX timers (6.13+)', probe: prctlWorks(77, 2), optional: true },
];

/** Features of amber itself (not of the kernel) that test runners ask about; false until built. */
export const ENGINE_FEATURES: Record<string, boolean> = {
  threads: true,
  'process-tree': true,
  'pre-dump': false,
  'lazy-pages': false,
  namespaces: false,
};

/** What `amber check` finds, without printing: required features missing, optional ones absent. */
export function checkAll(): { missing: Feature[]; warnings: Feature[] } {
  const absent = FEATURES.filter((f) => !f.probe());
  const missing = absent.filter((f) => !f.optional);
  if (process.getuid?.() !== 0) missing.push({ name: 'root', what: 'running as root', probe: () => false });
  return { missing, warnings: absent.filter((f) => f.optional) };
}

/** Whether a named feature (of amber itself or of the kernel) is there; undefined: no such feature. */
export function hasFeature(name: string): boolean | undefined {
  if (name in ENGINE_FEATURES) return ENGINE_FEATURES[name];
  return FEATURES.find((x) => x.name === name)?.probe();
}

export function runCheck(feature: string | undefined): number {
  if (feature !== undefined) {
    if (feature in ENGINE_FEATURES) return ENGINE_FEATURES[feature] ? 0 : 1;
    const f = FEATURES.find((x) => x.name === feature);
    if (!f) {
      process.stderr.write(`amber: unknown feature ${feature}\n`);
      return 1;
    }
    const ok = f.probe();
    console.log(`${f.name} is ${ok ? 'supported' : 'NOT supported'}`);
    return ok ? 0 : 1;
  }
  const { missing, warnings } = checkAll();
  for (const f of warnings) console.log(`Warn: missing ${f.what}`);
  if (missing.length === 0) {
    console.log('Looks good.');
    return 0;
  }
  for (const f of missing) console.log(`Missing: ${f.what}`);
  return 1;
}
