/**
 * The directory of amber's package (the one whose package.json is "amber-cr"), found upward from
 * this module: the same answer whether the code runs from src/ (vitest), dist/src/ (tsc output)
 * or dist/amber.js (the bundle the CLI runs), so data files (.proto, prebuilds) are found alike.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let found: string | undefined;

export function packageRoot(): string {
  if (found) return found;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'amber-cr') return (found = dir);
    } catch { /* no package.json here */ }
    if (path.dirname(dir) === dir) throw new Error(`amber's package directory not found above ${__dirname}`);
  }
}
