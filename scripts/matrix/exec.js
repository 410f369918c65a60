'use strict';
/** Runs external commands (apt-get, mmdebstrap, cpio, ...), every one tracked by children.js. */
const { spawn } = require('node:child_process');
const { track } = require('./children');
const { MatrixError } = require('./errors');

/**
 * Runs argv; resolves { code, signal, stdout, stderr } (strings, or Buffer with opts.buffer).
 * opts: cwd, env, input (string|Buffer), buffer (stdout as a Buffer), check (default true: a
 * non-zero exit rejects with a MatrixError 'EXEC' that carries the command and its stderr).
 */
function run(argv, opts = {}) {
  const check = opts.check !== false;
  return new Promise((resolve, reject) => {
    // its own process group: mmdebstrap, apt-get and dpkg are trees, all killed together
    const child = track(
      spawn(argv[0], argv.slice(1), {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      }),
      true,
    );
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) =>
      reject(new MatrixError('EXEC', `cannot run ${argv[0]}: ${e.message}`, { cmd: argv, cause: e })),
    );
    child.on('close', (code, signal) => {
      const stdout = opts.buffer ? Buffer.concat(out) : Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (check && code !== 0) {
        const tail = stderr.trim().split('\n').slice(-8).join('\n');
        reject(
          new MatrixError('EXEC', `${argv.join(' ')} exited ${code ?? signal}${tail ? `:\n${tail}` : ''}`, {
            cmd: argv,
            status: code,
            signal,
            stderr,
          }),
        );
        return;
      }
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // a command that does not read its input
    child.stdin.end(opts.input ?? '');
  });
}

/** Is `cmd` on PATH? */
async function have(cmd) {
  const r = await run(['sh', '-c', `command -v ${cmd}`], { check: false });
  return r.code === 0;
}

module.exports = { run, have };
