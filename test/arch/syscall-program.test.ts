import { describe, expect, it } from 'vitest';
import { MAX_CALL_BYTES, encodeSyscallProgram } from '../../src/arch/x86_64/syscall-program';

describe('x86_64 syscall programs', () => {
  it('loads registers with the shortest mov, skips values already loaded, stores each result, ends in int3', () => {
    const code = encodeSyscallProgram([
      { nr: 13, args: [10, 0, 0x7f0000001000n, 8] },
      { nr: 13, args: [12, 0, 0x7f0000001020n, 8] },
    ], 0x7f000000ff00n, 4096)!;
    const hex = code.toString('hex');
    expect(hex).toBe([
      'b80d000000', 'bf0a000000', 'be00000000', '48ba00100000007f0000', '41ba08000000', '41b800000000', '41b900000000', '0f05', '48a300ff0000007f0000',
      // second call: only rax, rdi and rdx change
      'b80d000000', 'bf0c000000', '48ba20100000007f0000', '0f05', '48a308ff0000007f0000',
      'cc',
    ].join(''));
  });

  it('sign-extends negative arguments to 64 bits and refuses what does not fit', () => {
    const code = encodeSyscallProgram([{ nr: 9, args: [0, 4096, 3, 0x22, -1, 0] }], 0x1000n, 4096)!;
    expect(code.toString('hex')).toContain('49b8ffffffffffffffff');
    const many = Array.from({ length: 200 }, (_, i) => ({ nr: 39, args: [i, 0x100000000n + BigInt(i)] }));
    expect(encodeSyscallProgram(many, 0x1000n, 4080)).toBeUndefined();
    expect(encodeSyscallProgram(many.slice(0, Math.floor(4080 / MAX_CALL_BYTES)), 0x1000n, 4080)).toBeDefined();
  });
});
