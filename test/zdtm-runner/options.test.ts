import { describe, expect, it } from 'vitest';
import { helpText, OPTIONS, parseArgs } from '../../zdtm/runner/cli/options';
import { RunnerUsageError } from '../../zdtm/runner/errors';
import { defaultAmberBin } from '../../zdtm/runner/paths';

describe('zdtm runner options', () => {
  it('has defaults: one iteration, h flavor, one job, stop at first failure, bin/amber', () => {
    const o = parseArgs(['run', '-a']);
    expect(o).toMatchObject({ command: 'run', all: true, iters: 1, pre: 0, flavors: ['h'], jobs: 1, keepGoing: false, norst: false, timeoutS: 30 });
    expect(o.amberBin).toBe(defaultAmberBin);
    expect(o.reportDir).toBeUndefined();
  });

  it('takes several names after -t, and -t more than once', () => {
    expect(parseArgs(['run', '-t', 'a', 'b', '--iters', '3', '-t', 'c']).tests).toEqual(['a', 'b', 'c']);
    expect(parseArgs(['run', '--test=a']).tests).toEqual(['a']);
  });

  it('parses every option, in --opt VALUE and --opt=VALUE forms', () => {
    const o = parseArgs([
      'run', '-a', '-x', 'foo', '--exclude=ba[rz]', '--iters=3', '--norst', '--pre', '2', '-f', 'h,uns',
      '-j', '4', '-k', '--amber-bin', '/x/criu', '--report', 'out', '--timeout', '5', '--keep-workdirs', '--static-dir', 'd',
    ]);
    expect(o).toMatchObject({
      exclude: ['foo', 'ba[rz]'], iters: 3, norst: true, pre: 2, flavors: ['h', 'uns'], jobs: 4, keepGoing: true,
      amberBin: '/x/criu', reportDir: 'out', timeoutS: 5, keepWorkdirs: true, staticDir: 'd',
    });
  });

  it('rejects bad usage with a RunnerUsageError', () => {
    const bad = [
      ['frobnicate'],
      ['run'],
      ['run', '-a', '-t', 'x'],
      ['run', '-t'],
      ['run', '-a', '--iters', '0'],
      ['run', '-a', '--iters', 'two'],
      ['run', '-a', '-f', 'h,vm'],
      ['run', '-a', '--bogus'],
      ['run', '-a', 'stray'],
      ['run', '-a', '--norst=1'],
      ['run', '-a', '--report'],
      ['list', '--iters', '2'],
    ];
    for (const argv of bad) expect(() => parseArgs(argv), argv.join(' ')).toThrow(RunnerUsageError);
  });

  it('allows --pre 0 and answers help', () => {
    expect(parseArgs(['run', '-a', '--pre', '0']).pre).toBe(0);
    expect(parseArgs([]).command).toBe('help');
    expect(parseArgs(['run', '--help']).command).toBe('help');
  });

  it('documents every option in the help', () => {
    const help = helpText();
    for (const o of OPTIONS) expect(help).toContain(`--${o.long}`);
  });
});
