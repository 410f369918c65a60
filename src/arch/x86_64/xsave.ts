/**
 * The xsave area PTRACE_GETREGSET(NT_X86_XSTATE) returns (standard, non-compacted format),
 * converted to and from CRIU's user_x86_fpregs_entry / user_x86_xsave_entry.
 * Component offsets in the standard format are architectural (CPUID leaf 0xD reports the same).
 */
export interface XsaveImage {
  cwd: number; swd: number; twd: number; fop: number;
  rip: bigint; rdp: bigint; mxcsr: number; mxcsr_mask: number;
  st_space: number[]; xmm_space: number[]; padding: number[];
  xsave?: {
    xstate_bv: bigint;
    ymmh_space?: number[];
    bndreg_state?: bigint[];
    bndcsr_state?: bigint[];
    opmask_reg?: bigint[];
    zmm_upper?: bigint[];
    hi16_zmm?: bigint[];
    pkru?: number[];
  };
}

const HEADER = 512;
const COMPONENTS = {
  ymmh_space: { offset: 576, size: 256, bit: 2, words: 32 },
  bndreg_state: { offset: 960, size: 64, bit: 3, words: 64 },
  bndcsr_state: { offset: 1024, size: 16, bit: 4, words: 64 },
  opmask_reg: { offset: 1088, size: 64, bit: 5, words: 64 },
  zmm_upper: { offset: 1152, size: 512, bit: 6, words: 64 },
  hi16_zmm: { offset: 1664, size: 1024, bit: 7, words: 64 },
  pkru: { offset: 2688, size: 8, bit: 9, words: 32 },
} as const;
type ComponentName = keyof typeof COMPONENTS;

function readU32s(buf: Buffer, off: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => buf.readUInt32LE(off + i * 4));
}
function readU64s(buf: Buffer, off: number, n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => buf.readBigUInt64LE(off + i * 8));
}

export function decodeXsave(buf: Buffer): XsaveImage {
  const img: XsaveImage = {
    cwd: buf.readUInt16LE(0), swd: buf.readUInt16LE(2), twd: buf.readUInt16LE(4), fop: buf.readUInt16LE(6),
    rip: buf.readBigUInt64LE(8), rdp: buf.readBigUInt64LE(16),
    mxcsr: buf.readUInt32LE(24), mxcsr_mask: buf.readUInt32LE(28),
    st_space: readU32s(buf, 32, 32), xmm_space: readU32s(buf, 160, 64), padding: readU32s(buf, 416, 24),
  };
  if (buf.length >= HEADER + 64) {
    const bv = buf.readBigUInt64LE(HEADER);
    const xsave: NonNullable<XsaveImage['xsave']> = { xstate_bv: bv };
    for (const [name, c] of Object.entries(COMPONENTS) as [ComponentName, (typeof COMPONENTS)[ComponentName]][]) {
      if (buf.length < c.offset + c.size) continue;
      if (c.words === 32) (xsave as Record<string, unknown>)[name] = readU32s(buf, c.offset, c.size / 4);
      else (xsave as Record<string, unknown>)[name] = readU64s(buf, c.offset, c.size / 8);
    }
    img.xsave = xsave;
  }
  return img;
}

/**
 * Writes an image's FPU state over `template`, an xsave buffer of the restoring task (right size
 * and valid header for this CPU). Components absent from the image keep the template's (init) state.
 */
export function encodeXsave(img: XsaveImage, template: Buffer): Buffer {
  const buf = Buffer.from(template);
  buf.writeUInt16LE(img.cwd, 0); buf.writeUInt16LE(img.swd, 2); buf.writeUInt16LE(img.twd, 4); buf.writeUInt16LE(img.fop, 6);
  buf.writeBigUInt64LE(img.rip, 8); buf.writeBigUInt64LE(img.rdp, 16);
  buf.writeUInt32LE(img.mxcsr, 24); buf.writeUInt32LE(img.mxcsr_mask, 28);
  img.st_space.forEach((w, i) => buf.writeUInt32LE(w, 32 + i * 4));
  img.xmm_space.forEach((w, i) => buf.writeUInt32LE(w, 160 + i * 4));
  if (img.xsave && buf.length >= HEADER + 64) {
    for (const [name, c] of Object.entries(COMPONENTS) as [ComponentName, (typeof COMPONENTS)[ComponentName]][]) {
      const words = img.xsave[name] as (number | bigint)[] | undefined;
      if (!words || words.length === 0) continue;
      if (buf.length < c.offset + c.size) {
        if ((img.xsave.xstate_bv >> BigInt(c.bit)) & 1n) {
          throw new Error(`xsave component ${name} is in use but this CPU's xsave area (${buf.length} bytes) lacks it`);
        }
        continue;
      }
      words.forEach((w, i) => {
        if (typeof w === 'bigint') buf.writeBigUInt64LE(w, c.offset + i * 8);
        else buf.writeUInt32LE(w, c.offset + i * 4);
      });
    }
    buf.writeBigUInt64LE(img.xsave.xstate_bv, HEADER);
  }
  return buf;
}
