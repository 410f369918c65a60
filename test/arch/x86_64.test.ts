import { describe, expect, it } from 'vitest';
import { decodeGpRegs, encodeGpRegs, GP_REGS_SIZE } from '../../src/arch/x86_64/regs';
import { decodeXsave, encodeXsave, INTEL_LAYOUT } from '../../src/arch/x86_64/xsave';
import { applySyscallRestart, imageRegs } from '../../src/compel/restart';

function xsaveArea(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < 512; i++) b[i] = (i * 7 + seed) & 0xff;
  b.writeBigUInt64LE(0x7n, 512); // x87, SSE, AVX in use
  for (let i = 576; i < size; i++) b[i] = (i * 13 + seed) & 0xff;
  return b;
}

describe('general registers', () => {
  it('round-trip through user_regs_struct bytes', () => {
    const raw = Buffer.alloc(GP_REGS_SIZE);
    for (let i = 0; i < GP_REGS_SIZE / 8; i++) raw.writeBigUInt64LE(BigInt(i) * 0x0101010101010101n, i * 8);
    const regs = decodeGpRegs(raw);
    expect(regs.r15).toBe(0n);
    expect(regs.ip).toBe(16n * 0x0101010101010101n);
    expect(encodeGpRegs(regs).equals(raw)).toBe(true);
  });
});

describe('xsave', () => {
  it('round-trips legacy, header and AVX state over a template', () => {
    const src = xsaveArea(832, 3);
    const img = decodeXsave(src, { ymmh_space: 576 });
    expect(img.xsave?.ymmh_space).toHaveLength(64);
    expect(img.st_space).toHaveLength(32);
    const template = xsaveArea(832, 99);
    const out = encodeXsave(img, template, { ymmh_space: 576 });
    expect(out.subarray(0, 416).equals(src.subarray(0, 416))).toBe(true);
    expect(out.subarray(512, 520).equals(src.subarray(512, 520))).toBe(true);
    expect(out.subarray(576, 832).equals(src.subarray(576, 832))).toBe(true);
  });
  it('refuses state this CPU cannot hold', () => {
    const img = decodeXsave(xsaveArea(2696, 1), INTEL_LAYOUT);
    img.xsave!.xstate_bv = 0xe7n; // AVX-512 in use
    expect(() => encodeXsave(img, xsaveArea(832, 2), { ymmh_space: 576 })).toThrow(/lacks it/);
  });
  it('reads each component where the CPU puts it, and only those the CPU has', () => {
    // AMD Zen 4: AVX-512 without MPX, right after the AVX state.
    const zen4 = { ymmh_space: 576, opmask_reg: 832, zmm_upper: 896, hi16_zmm: 1408 };
    const src = xsaveArea(2432, 5);
    src.writeBigUInt64LE(0xaaaa5555n, 832);
    const img = decodeXsave(src, zen4);
    expect(img.xsave?.bndreg_state).toBeUndefined();
    expect(img.xsave?.opmask_reg?.[0]).toBe(0xaaaa5555n);
    expect(img.xsave?.hi16_zmm).toHaveLength(128);
    const out = encodeXsave(img, xsaveArea(2432, 77), zen4);
    expect(out.subarray(576, 2432).equals(src.subarray(576, 2432))).toBe(true);
    // The same state put on an Intel layout lands at Intel's offsets.
    const intel = encodeXsave(img, xsaveArea(2696, 77), INTEL_LAYOUT);
    expect(intel.readBigUInt64LE(1088)).toBe(0xaaaa5555n);
  });
});

describe('syscall restart', () => {
  const base = decodeGpRegs(Buffer.alloc(GP_REGS_SIZE));
  const u = (v: bigint) => BigInt.asUintN(64, v);
  it('rewinds ERESTARTSYS to the syscall', () => {
    const r = applySyscallRestart({ ...base, ip: 0x1002n, ax: u(-512n), orig_ax: 0n }, false);
    expect(r).toMatchObject({ ip: 0x1000n, ax: 0n, orig_ax: u(-1n) });
  });
  it('turns ERESTART_RESTARTBLOCK into restart_syscall when the block is kept, the original call otherwise', () => {
    const regs = { ...base, ip: 0x1002n, ax: u(-516n), orig_ax: 230n };
    expect(applySyscallRestart(regs, true)).toMatchObject({ ip: 0x1000n, ax: 219n });
    expect(applySyscallRestart(regs, false)).toMatchObject({ ip: 0x1000n, ax: 230n });
  });
  it('writes images with the registers the thread resumes with (CRIU restores them as they are)', () => {
    expect(imageRegs({ ...base, ip: 0x1002n, ax: u(-512n), orig_ax: 7n })).toMatchObject({ ip: 0x1000n, ax: 7n, orig_ax: 7n });
    expect(imageRegs({ ...base, ip: 0x1002n, ax: u(-516n), orig_ax: 230n })).toMatchObject({ ip: 0x1000n, ax: 230n });
    // epoll_wait's EINTR from the freeze: waits again, unless a signal explains it.
    expect(imageRegs({ ...base, ip: 0x1002n, ax: u(-4n), orig_ax: 232n }, false)).toMatchObject({ ip: 0x1000n, ax: 232n });
    expect(imageRegs({ ...base, ip: 0x1002n, ax: u(-4n), orig_ax: 232n }, true)).toMatchObject({ ip: 0x1002n, ax: u(-4n) });
    expect(imageRegs({ ...base, ip: 0x1002n, ax: u(-512n), orig_ax: u(-1n) })).toMatchObject({ ip: 0x1002n, ax: u(-512n) });
  });
  it('leaves a task outside a syscall alone', () => {
    const regs = { ...base, ip: 0x1002n, ax: u(-512n), orig_ax: u(-1n) };
    expect(applySyscallRestart(regs, false)).toMatchObject({ ip: 0x1002n, ax: u(-512n) });
  });
});
