import { describe, expect, it } from 'vitest';
import { helpText, parseArgs } from '../../src/cli/options';
import { UsageError } from '../../src/errors';

describe('CRIU-style options', () => {
  it('parses short, long, glued and = forms', () => {
    const a = parseArgs(['dump', '-t', '42', '--images-dir=/x', '-v4', '-R', '-o', 'd.log']);
    expect(a.command).toBe('dump');
    expect(a.opts.get('tree')).toBe('42');
    expect(a.opts.get('images-dir')).toBe('/x');
    expect(a.opts.get('verbosity')).toBe('4');
    expect(a.opts.get('leave-running')).toBe(true);
    expect(a.opts.get('log-file')).toBe('d.log');
  });
  it('treats -v alone as -v4', () => {
    expect(parseArgs(['check', '-v']).opts.get('verbosity')).toBe('4');
  });
  it('rejects unknown options and missing values', () => {
    expect(() => parseArgs(['dump', '--bogus'])).toThrow(UsageError);
    expect(() => parseArgs(['dump', '-t'])).toThrow(/needs PID/);
  });
  it('lists every option in --help', () => {
    const h = helpText('0');
    for (const o of ['--tree', '--images-dir', '--leave-running', '--restore-detached', '--pidfile', '--shell-job']) expect(h).toContain(o);
  });
});
