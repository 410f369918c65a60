'use strict';
/**
 * The folder a command runs through, on the host and (as /io over 9p) in the guest:
 *   cmd.sh (the command, run from the project root with $IO set), out.log (its output),
 *   status (its exit status, written last), console.log (the guest's serial console).
 */
const fs = require('node:fs');
const path = require('node:path');
const { follower } = require('./tail-file');

function prepareIoDir(dir, script) {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['status', 'status.tmp', 'out.log', 'console.log']) fs.rmSync(path.join(dir, f), { force: true });
  fs.writeFileSync(path.join(dir, 'cmd.sh'), script.endsWith('\n') ? script : `${script}\n`);
}

/** The exit status the command left, or null when it did not get that far. */
function readStatus(dir) {
  const f = path.join(dir, 'status');
  if (!fs.existsSync(f)) return null;
  const n = Number.parseInt(fs.readFileSync(f, 'utf8').trim(), 10);
  return Number.isNaN(n) ? null : n;
}

function tailOf(file, lines = 15) {
  if (!fs.existsSync(file)) return '';
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function outFollower(dir, onLine) {
  return follower(path.join(dir, 'out.log'), onLine || (() => {}));
}

module.exports = { prepareIoDir, readStatus, tailOf, outFollower };
