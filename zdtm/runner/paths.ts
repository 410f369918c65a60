/**
 * Where things are: the repository root (found from this file, compiled or not), the default
 * checkpointer, the test programs and the runner's scratch space.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const PACKAGE_NAME = 'amber-cr';

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    try {
      if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
    } catch {
      // not here: keep climbing
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} repository above ${start}`);
  }
}

/** The repository root: works from zdtm/runner (vitest, sources) and dist/zdtm/runner (compiled). */
export const repoRoot: string = findRepoRoot(__dirname);

/** The real checkpointer, the default of --amber-bin. */
export const defaultAmberBin: string = path.join(repoRoot, 'bin', 'amber');

/** zdtm/static: NAME.json metadata next to NAME (C binary) or NAME.ts. */
export const defaultStaticDir: string = path.join(repoRoot, 'zdtm', 'static');

/** zdtm/quick.list: the quick set, one test name per line. */
export const quickListFile: string = path.join(repoRoot, 'zdtm', 'quick.list');

/** Runs live under here, one folder per run, one per test case inside. */
export const workRoot: string = process.env.AMBER_ZDTM_TMP ?? '/tmp/amber-zdtm';

/** The compiled form of a TypeScript source under the repository (rootDir ".", outDir "dist"). */
export function compiledPath(tsFile: string): string {
  const rel = path.relative(repoRoot, tsFile).replace(/\.ts$/, '.js');
  return path.join(repoRoot, 'dist', rel);
}

/** A run id that sorts by time and does not collide with a parallel run. */
export function newRunId(now: Date = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${stamp}-${process.pid}`;
}
