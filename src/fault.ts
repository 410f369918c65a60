/**
 * Fault injection for tests, as CRIU_FAULT does for CRIU: AMBER_FAULT=<point> makes the step
 * of that name fail, so tests can check that every failure cleans up after itself.
 * The list of points is what `amber check --list-faults` prints.
 */
import { InjectedFault, InterruptedError } from './errors';

export const FAULT_POINTS = [
  'dump:freeze', 'dump:collect', 'dump:memory', 'dump:infect', 'dump:task-state', 'dump:files', 'dump:write-images', 'dump:after-cure',
  'restore:read-images', 'restore:files', 'restore:clone', 'restore:memory', 'restore:mm', 'restore:fds', 'restore:task-state', 'restore:finish',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/**
 * The step a call is to fail at (DumpOptions.fault, RestoreOptions.fault): one per call, never
 * global. As an object it may also say whether the call was asked to stop (a SIGINT or SIGTERM
 * to the CLI, src/interrupt.ts): the call then stops at its next fault point, as if a fault
 * had been injected there, and undoes what it did.
 */
export type FaultPlan = string | { point?: string; interrupted?: () => string | undefined } | undefined;

export function faultPoint(point: FaultPoint, plan: FaultPlan): void {
  if ((typeof plan === 'string' ? plan : plan?.point) === point) throw new InjectedFault(point);
  const signal = typeof plan === 'object' ? plan.interrupted?.() : undefined;
  if (signal) throw new InterruptedError(signal, point);
}

/** The CLI's (and the RPC server's) plan: AMBER_FAULT from their environment. */
export function faultPlanFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return env.AMBER_FAULT || undefined;
}
