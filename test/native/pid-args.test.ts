/**
 * The native layer checks its pid arguments: undefined (a TypeError), 0, a fraction or a
 * negative number (a RangeError) must be refused (as 0, kill(2) would signal the caller's own process group); -1 is taken
 * only by waitpid, where it means "any child" (not called here: it would reap others' children).
 */
import { describe, expect, it } from 'vitest';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { native } = require('../../dist/src/native') as typeof import('../../src/native');

describe('native pid arguments', () => {
  it('refuses what is not a positive integer, before any syscall', () => {
    // Not a number at all: a TypeError (the argument check of every native function).
    for (const bad of [undefined, '1', null]) {
      expect(() => native.kill(bad as never, 0), String(bad)).toThrow(TypeError);
      expect(() => native.pidfdOpen(bad as never, 0), String(bad)).toThrow(TypeError);
      expect(() => native.tgkill(process.pid, bad as never, 0), String(bad)).toThrow(TypeError);
    }
    // A number that is no pid: a RangeError.
    for (const bad of [0, -2, 1.5, Number.NaN, 2 ** 40]) {
      expect(() => native.kill(bad as never, 0), String(bad)).toThrow(RangeError);
      expect(() => native.pidfdOpen(bad as never, 0), String(bad)).toThrow(RangeError);
      expect(() => native.tgkill(process.pid, bad as never, 0), String(bad)).toThrow(RangeError);
    }
    expect(() => native.kill(-1 as never, 0)).toThrow(RangeError);
  });
  it('takes real pids', () => {
    expect(() => native.kill(process.pid, 0)).not.toThrow();
    expect(() => native.kill(process.pid + 0.0, 0)).not.toThrow();
  });
});
