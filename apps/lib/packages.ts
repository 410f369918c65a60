/**
 * The Debian packages the apps need, installed when (and only when) a binary is missing:
 * `apt-get update` once, then `apt-get install -y PKG...`. Output goes to a log file.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface Need {
  /** Absolute path of the binary. */
  bin: string;
  /** The Debian package that brings it. */
  pkg: string;
}

const executable = (p: string): boolean => {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

let updated = false;

function apt(args: string[], logFile: string): number | null {
  const out = fs.openSync(logFile, 'a');
  fs.writeSync(out, `$ apt-get ${args.join(' ')}\n`);
  try {
    const r = spawnSync('apt-get', args, {
      stdio: ['ignore', out, out],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 900_000,
    });
    return r.status;
  } finally {
    fs.closeSync(out);
  }
}

/** Returns the binaries still missing (empty when all is there). */
export function ensurePackages(needs: Need[], logFile: string, say: (s: string) => void): string[] {
  const missing = needs.filter((n) => !executable(n.bin));
  if (missing.length === 0) return [];
  const pkgs = [...new Set(missing.map((n) => n.pkg))];
  if (process.getuid?.() !== 0) return missing.map((n) => `${n.bin} (package ${n.pkg}; not root, cannot install)`);
  say(`installing ${pkgs.join(' ')} (missing ${missing.map((n) => n.bin).join(', ')}); apt output in ${logFile}`);
  if (!updated) {
    apt(['update'], logFile);
    updated = true;
  }
  const code = apt(['install', '-y', ...pkgs], logFile);
  if (code !== 0) say(`apt-get install exited ${code}`);
  return needs.filter((n) => !executable(n.bin)).map((n) => `${n.bin} (package ${n.pkg})`);
}
