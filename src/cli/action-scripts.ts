/**
 * --action-script: CRIU runs each script (shell code, through /bin/sh -c) at every action point
 * with CRTOOLS_SCRIPT_ACTION naming the point, CRTOOLS_IMAGE_DIR the images directory and
 * CRTOOLS_INIT_PID the root task; a script that fails (exit status not 0) fails the dump or
 * restore at that point. The scripts run one after the other, in the order given, and amber
 * waits for each: the tree is frozen or not yet resumed meanwhile, which is the point of them.
 */
import { spawnSync } from '../lazy-spawn';
import * as path from 'node:path';
import { AmberError } from '../errors';
import type { ActionHook } from '../actions';
import type { Logger } from '../log';

export function actionScriptHook(scripts: readonly string[], imagesDir: string, log: Logger): ActionHook | undefined {
  if (!scripts.length) return undefined;
  const dir = path.resolve(imagesDir);
  return (action, pid) => {
    for (const script of scripts) {
      log.debug(`action script for ${action}: ${script}`);
      // Synchronous on purpose: dump and restore wait at the action point until the script ends.
      const r = spawnSync('/bin/sh', ['-c', script], {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, CRTOOLS_SCRIPT_ACTION: action, CRTOOLS_IMAGE_DIR: dir, CRTOOLS_INIT_PID: String(pid) },
      });
      if (r.error) throw new AmberError(`action script for ${action} (${script}) could not run: ${r.error.message}`);
      if (r.status !== 0) {
        const how = r.signal ? `was killed by ${r.signal}` : `exited with ${r.status}`;
        throw new AmberError(`action script for ${action} (${script}) ${how}`);
      }
    }
  };
}
