/**
 * Fault injection for tests, as CRIU_FAULT does for CRIU: AMBER_FAULT=<point> makes the step
 * of that name fail, so tests can check that every failure cleans up after itself.
 * The list of points is what `amber check --list-faults` prints.
 */
import { InjectedFault } from './errors';

export const FAULT_POINTS = [
  'dump:freeze', 'dump:collect', 'dump:memory', 'dump:infect', 'dump:task-state', 'dump:files', 'dump:write-images', 'dump:after-cure',
  'restore:read-images', 'restore:files', 'restore:clone', 'restore:memory', 'restore:mm', 'restore:fds', 'restore:task-state', 'restore:finish',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/** The step a call is to fail at (DumpOptions.fault, RestoreOptions.fault): one per call, never global. */
export type FaultPlan = string | undefined;

export function faultPoint(point: FaultPoint, plan: FaultPlan): void {
  if (plan === point) throw new InjectedFault(point);
}

/** The CLI's (and the RPC server's) plan: AMBER_FAULT from their environment. */
export function faultPlanFromEnv(env: NodeJS.ProcessEnv): FaultPlan {
  return env.AMBER_FAULT || undefined;
}
