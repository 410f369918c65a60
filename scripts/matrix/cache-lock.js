'use strict';
/**
 * One matrix run at a time per cache: the cache is built in place, and two runs would also mean
 * two qemus on a 2-core machine. CACHE/lock holds the PID of the run that has it; a lock whose
 * PID is gone is stale and taken over. Released at exit.
 */
const fs = require('node:fs');
const path = require('node:path');
const log = require('./log').createLog('lock');

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function tryTake(file) {
  try {
    fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
  }
  const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
  if (pid && alive(pid)) return pid;
  fs.rmSync(file, { force: true }); // stale: its run died without releasing it
  return tryTake(file);
}

/** Waits until this process holds CACHE/lock. */
async function lockCache(cacheDir) {
  fs.mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, 'lock');
  let said = false;
  for (;;) {
    const r = tryTake(file);
    if (r === true) break;
    if (!said) log.info(`another matrix run (pid ${r}) holds ${file}: waiting for it`);
    said = true;
    await new Promise((res) => setTimeout(res, 2000));
  }
  process.on('exit', () => {
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file);
    } catch {
      // already gone
    }
  });
}

module.exports = { lockCache };
