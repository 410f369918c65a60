'use strict';
/**
 * This machine's own kernel, for which no package (and here no /boot/vmlinuz) exists to boot:
 * the command runs directly on the host, from the project root, with the same IO folder layout.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { track, stop } = require('./children');
const { prepareIoDir, readStatus, outFollower } = require('./io-dir');

class HostTarget {
  constructor(spec, ctx) {
    this.spec = spec;
    this.ctx = ctx;
    this.kind = 'host';
    this.arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  }

  async prepare() {
    this.release = os.release();
  }

  /** Inside a Vagrant VM the host is that VM: its Vagrantfile says so through AMBER_MATRIX_WHERE. */
  header() {
    return `${this.release} (${process.env.AMBER_MATRIX_WHERE || 'host, no VM'})`;
  }

  exec(script, ioDir, { timeoutMs, onLine } = {}) {
    prepareIoDir(ioDir, script);
    const out = outFollower(ioDir, onLine);
    const started = Date.now();
    return new Promise((resolve) => {
      const log = fs.openSync(path.join(ioDir, 'out.log'), 'w');
      // detached: its own process group, so a timeout kills the whole suite run
      const child = track(
        spawn('sh', ['-c', `sh "$IO/cmd.sh"; echo $? > "$IO/status.tmp"; mv "$IO/status.tmp" "$IO/status"`], {
          cwd: this.ctx.project,
          env: { ...process.env, IO: ioDir },
          stdio: ['ignore', log, log],
          detached: true,
        }),
        true,
      );
      fs.closeSync(log);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        stop(child);
      }, timeoutMs || 30 * 60 * 1000);
      const tick = setInterval(out.poll, 1000);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        clearInterval(tick);
        out.flush();
        const status = readStatus(ioDir);
        const error = status === null ? `the command did not finish (${timedOut ? 'timed out' : `sh exited ${code ?? signal}`})` : null;
        resolve({ status, timedOut, ms: Date.now() - started, error });
      });
    });
  }
}

module.exports = { HostTarget };
