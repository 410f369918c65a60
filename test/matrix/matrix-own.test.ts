// The kernel matrix's own unit tests (scripts/matrix/test/, and those of `npm run vagrant` in
// scripts/vagrant/test/, written for node:test, since both are plain JavaScript that runs without
// a build) in npm test: run once with the TAP reporter, each of their tests reported here as a
// test of its own.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const dirs = ['matrix', 'vagrant'].map((d) => path.join(__dirname, '..', '..', 'scripts', d, 'test'));
const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...dirs], { encoding: 'utf8', timeout: 120_000 });
// Top-level results only ("ok 3 - name" at the start of a line; subtests are indented).
const results = [...run.stdout.matchAll(/^(not ok|ok) \d+ - (.+)$/gm)].map((m) => ({ ok: m[1] === 'ok', name: m[2], detail: '' }));
for (const r of results.filter((x) => !x.ok)) {
  const at = run.stdout.indexOf(`- ${r.name}`);
  r.detail = run.stdout.slice(at, at + 2000);
}

describe('kernel matrix and vagrant (scripts/matrix/test/, scripts/vagrant/test/)', () => {
  it('node --test ran them all', () => {
    expect(run.error, String(run.error)).toBeUndefined();
    expect(results.length, run.stdout + run.stderr).toBeGreaterThan(0);
    expect(run.status, run.stdout.slice(-2000) + run.stderr).toBe(0);
  });
  for (const r of results) {
    it(r.name, () => {
      expect(r.ok, r.detail).toBe(true);
    });
  }
});
