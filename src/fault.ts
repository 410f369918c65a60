/**
 * Fault injection for tests, as CRIU_FAULT does for CRIU: AMBER_FAULT=<point> makes the step
 * of that name fail, so tests can check that every failure cleans up after itself.
 * Several items may be given, comma-separated. The points: FAULT_POINTS (steps of dump and restore) and one per fd kind of the registry at
 * each side (kindFaultPoint: `dump:file:pipe`, `restore:file:unix-socket`, ...).
 */
import { InjectedFault, InterruptedError } from './errors';

export const FAULT_POINTS = [
  'dump:freeze', 'dump:collect', 'dump:memory', 'dump:infect', 'dump:task-state', 'dump:files', 'dump:write-images', 'dump:after-cure',
  'restore:read-images', 'restore:files', 'restore:clone', 'restore:memory', 'restore:mm', 'restore:fds', 'restore:task-state', 'restore:finish', 'restore:release',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/**
 * The step a call is to fail at (DumpOptions.fault, RestoreOptions.fault): one per call, never
 * global. As an object it may also say whether the call was asked to stop (a SIGINT or SIGTERM
 * to the CLI, src/interrupt.ts): the call then stops at its next fault point, as if a fault
 * had been injected there, and undoes what it did.
 */
export type FaultPlan = string | { point?: string; interrupted?: () => string | undefined } | undefined;

/** The fault point of one fd kind's dump or open (`dump:file:regular-file`): one per kind of the registry. */
export function kindFaultPoint(side: 'dump' | 'restore', kindName: string): string {
  return `${side}:file:${kindName.toLowerCase().replace(/\W+/g, '-')}`;
}

/** The items of a plan: several may be given, comma-separated (`pretend:X,hang:POINT`). */
function planHas(plan: FaultPlan, item: string): boolean {
  const p = typeof plan === 'string' ? plan : plan?.point;
  return p !== undefined && (p === item || p.split(',').includes(item));
}

/**
 * `hang:POINT` in the plan: amber stops there for good (tests kill it with SIGKILL at a known
 * moment: test/faults/sigkill.test.ts). Also at points that are no fault point (hangPoint).
 */
export function hangPoint(point: string, plan: FaultPlan): void {
  if (!planHas(plan, `hang:${point}`)) return;
  process.stderr.write(`amber: hanging at ${point} (AMBER_FAULT)\n`);
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
}

export function faultPoint(point: FaultPoint | string, plan: FaultPlan): void {
  hangPoint(point, plan);
  if (planHas(plan, point)) throw new InjectedFault(point);
  const signal = typeof plan === 'object' ? plan.interrupted?.() : undefined;
  if (signal) throw new InterruptedError(signal, point);
}

/**
 * `pretend:WHAT` in the plan: amber behaves as on a kernel that lacks a feature, so the fallback
 * for older kernels runs here (no-get-rseq-conf: rseq found by asking each thread, task/rseq.ts;
 * no-eventfd-semaphore-row: an eventfd's EFD_SEMAPHORE found by reading it, files/eventfd.ts).
 */
export function pretends(plan: FaultPlan, what: 'no-get-rseq-conf' | 'no-eventfd-semaphore-row'): boolean {
  return planHas(plan, `pretend:${what}`);
}

/** The CLI's (and the RPC server's) plan: AMBER_FAULT from their environment. */
export function faultPlanFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return env.AMBER_FAULT || undefined;
}
