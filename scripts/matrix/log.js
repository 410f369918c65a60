'use strict';
/** One logger per module, each with its own prefix and the run's elapsed time; all to stderr. */

const started = Date.now();

function stamp() {
  const s = Math.floor((Date.now() - started) / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function createLog(prefix) {
  const write = (msg) => process.stderr.write(`[${stamp()}] ${prefix}: ${msg}\n`);
  return { info: write, warn: (msg) => write(`warning: ${msg}`) };
}

module.exports = { createLog };
