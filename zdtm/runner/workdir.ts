/** The run's scratch folders: one per run under workRoot, one per case inside. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { newRunId, workRoot } from './paths';

export function makeRunDir(root: string = workRoot): string {
  const dir = path.join(root, newRunId());
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Removes a passed case's folder (images can be large). */
export function cleanupWorkdir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Removes the run folder if nothing was kept in it (only probe output). */
export function removeRunDirIfClean(runDir: string): boolean {
  const left = fs.readdirSync(runDir).filter((e) => e !== 'probe');
  if (left.length > 0) return false;
  fs.rmSync(runDir, { recursive: true, force: true });
  return true;
}
