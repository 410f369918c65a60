/**
 * The runner's way to the project's native addon (prctl, waitpid, kill). Compiled, the source
 * module resolves to dist/src/native; run from sources (vitest), Node's require cannot load the
 * .ts addon loader, so the compiled one under dist/ is the fallback. Loaded on first use, so
 * `zdtm list` and the unit tests work without a build.
 */
import * as path from 'node:path';
import { repoRoot } from './paths';

/** The part of src/native the runner uses. */
export interface RunnerNative {
  prctl(option: number, a2?: number): number;
  waitpid(pid: number, flags: number): [number, number];
  kill(pid: number, sig: number): void;
  fcntl(fd: number, cmd: number, arg: number): number;
}

let cached: RunnerNative | undefined;

export function runnerNative(): RunnerNative {
  if (cached) return cached;
  const tried: string[] = [];
  for (const candidate of ['../../src/native', path.join(repoRoot, 'dist', 'src', 'native', 'index.js')]) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = (require(candidate) as { native: RunnerNative }).native;
      return cached;
    } catch (e) {
      tried.push(`${candidate}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`cannot load the native addon (run \`npm run build\`):\n  ${tried.join('\n  ')}`);
}
