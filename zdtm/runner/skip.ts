/**
 * Why a test case cannot run here, if it cannot: flavors not built yet, missing privilege,
 * or a checkpointer feature (`amber check --feature F`) that is not there.
 */
import type { FeatureProbe } from './amber';
import { hasFlag } from './metadata';
import type { TestCase } from './select';

export const SKIP_NAMESPACES = 'namespaces not supported yet';
export const SKIP_PRE_DUMP = 'pre-dump not implemented yet';
export const SKIP_THREADS = 'Node processes are multi-threaded: waits for the process-tree issue';
export const SKIP_ROOT = 'needs root';

export interface SkipContext {
  features: FeatureProbe;
  pre: number;
  isRoot: boolean;
}

export async function skipReason(tc: TestCase, ctx: SkipContext): Promise<string | undefined> {
  if (tc.flavor !== 'h') return SKIP_NAMESPACES;
  if (hasFlag(tc.meta, 'root') && !ctx.isRoot) return SKIP_ROOT;
  if (tc.meta.kind === 'ts' && !(await ctx.features.has('threads'))) return SKIP_THREADS;
  if (ctx.pre > 0 && !hasFlag(tc.meta, 'crfail') && !(await ctx.features.has('pre-dump'))) return SKIP_PRE_DUMP;
  for (const f of tc.meta.feature) {
    if (!(await ctx.features.has(f))) return `checkpointer lacks feature "${f}"`;
  }
  return undefined;
}
