'use strict';
/**
 * The guest only runs what the host compiled (tsc is 15x slower under TCG): dist/ by tsc when it
 * is missing (`npm run build` refreshes it), and the zdtm C programs by make (incremental).
 */
const fs = require('node:fs');
const path = require('node:path');
const { run } = require('./exec');
const log = require('./log').createLog('build');

async function buildProject(project) {
  if (!fs.existsSync(path.join(project, 'dist', 'zdtm', 'runner', 'main.js'))) {
    log.info('dist/ missing: npx tsc -p tsconfig.json');
    await run(['npx', 'tsc', '-p', 'tsconfig.json'], { cwd: project });
  }
  log.info('make -s -C zdtm');
  await run(['make', '-s', '-C', 'zdtm'], { cwd: project });
}

module.exports = { buildProject };
