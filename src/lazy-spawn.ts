/**
 * spawnSync, with node:child_process loaded on the first call: loading it costs some 3 ms of
 * every amber command, and most dumps and restores never run a program.
 */
import type * as childProcess from 'node:child_process';

export const spawnSync: typeof childProcess.spawnSync = ((...args: Parameters<typeof childProcess.spawnSync>) =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('node:child_process') as typeof childProcess).spawnSync(...args)) as typeof childProcess.spawnSync;
