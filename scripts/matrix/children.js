'use strict';
/**
 * Every process the matrix starts is registered here, so that none outlives it: on a normal
 * exit, on SIGINT/SIGTERM/SIGHUP, and on a crash, each live one is killed by its own PID
 * (the process group too when it leads one). Nothing else is ever killed.
 */

const live = new Map(); // pid -> { child, group }
let installed = false;
let stoppingAll = false;

/** True once a signal asked the matrix to stop: start nothing new. */
function stopping() {
  return stoppingAll;
}

function killOne(pid, group, signal) {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // already gone
  }
}

function killAll(signal = 'SIGKILL') {
  for (const [pid, { group }] of live) killOne(pid, group, signal);
}

/** SIGTERM to each (the zdtm runner then kills its tests), SIGKILL to those left after graceMs. */
async function stopAll(graceMs = 5000) {
  stoppingAll = true;
  killAll('SIGTERM');
  const until = Date.now() + graceMs;
  while (live.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  killAll('SIGKILL');
}

/** SIGTERM to one child, SIGKILL after graceMs if it is still there. */
function stop(child, graceMs = 10000) {
  kill(child, 'SIGTERM');
  const t = setTimeout(() => kill(child, 'SIGKILL'), graceMs);
  child.once('exit', () => clearTimeout(t));
}

function install() {
  if (installed) return;
  installed = true;
  process.on('exit', () => killAll());
  for (const [sig, num] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
    process.on(sig, () => {
      process.stderr.write(`\nmatrix: ${sig}: stopping ${live.size} child process(es)\n`);
      stopAll().then(() => process.exit(128 + num));
    });
  }
}

/** Registers a spawned ChildProcess until it exits. `group`: it was spawned detached. */
function track(child, group = false) {
  install();
  if (child.pid === undefined) return child;
  live.set(child.pid, { child, group });
  if (stoppingAll) killOne(child.pid, group, 'SIGKILL');
  child.once('exit', () => live.delete(child.pid));
  return child;
}

/** Kills one tracked child (its group too when it leads one). */
function kill(child, signal = 'SIGKILL') {
  const entry = live.get(child.pid);
  if (entry) killOne(child.pid, entry.group, signal);
}

module.exports = { track, kill, killAll, stop, stopAll, stopping };
