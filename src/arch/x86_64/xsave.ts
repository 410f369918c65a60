/**
 * The xsave area PTRACE_GETREGSET(NT_X86_XSTATE) returns (standard, non-compacted format),
 * converted to and from CRIU's user_x86_fpregs_entry / user_x86_xsave_entry.
 * Where each component lies in the standard format is the CPU's to say (CPUID leaf 0xD, sub-leaf
 * = component: EBX offset, EAX size); it is not the same on every CPU (AMD Zen 4, which has no
 * MPX, puts the AVX-512 state at 832/896/1408, Intel at 1088/1152/1664). The image holds each
 * component the kernel enables, whatever its xstate_bv bit says (as CRIU writes them): CRIU's
 * restore checks each component's size against the features of its CPU.
 */
import { native } from '../../native';

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
/** Size and word width of each component the image format names, and its xfeature bit. */
const COMPONENTS = {
  ymmh_space: { size: 256, bit: 2, words: 32 },
  bndreg_state: { size: 64, bit: 3, words: 64 },
  bndcsr_state: { size: 16, bit: 4, words: 64 },
  opmask_reg: { size: 64, bit: 5, words: 64 },
  zmm_upper: { size: 512, bit: 6, words: 64 },
  hi16_zmm: { size: 1024, bit: 7, words: 64 },
  pkru: { size: 8, bit: 9, words: 32 },
} as const;
type ComponentName = keyof typeof COMPONENTS;

/** Offset in the standard-format xsave area of each component this CPU's kernel enables. */
export type XsaveLayout = Partial<Record<ComponentName, number>>;

/** The layout Intel CPUs with MPX and AVX-512 use (tests, and a reference). */
export const INTEL_LAYOUT: XsaveLayout = { ymmh_space: 576, bndreg_state: 960, bndcsr_state: 1024, opmask_reg: 1088, zmm_upper: 1152, hi16_zmm: 1664, pkru: 2688 };

const FP_XSTATE_MAGIC1 = 0x46505853;
const SW_BYTES = 464; // struct _fpx_sw_bytes in the FXSAVE area's software-reserved bytes

let cpuLayoutCache: XsaveLayout | undefined;

/**
 * This CPU's layout: components the kernel enables (xfeatures of the software-reserved bytes the
 * kernel puts in every NT_X86_XSTATE area; CPUID 0xD.0 without one) at CPUID's offsets.
 */
export function cpuLayout(sample?: Buffer): XsaveLayout {
  if (cpuLayoutCache) return cpuLayoutCache;
  let enabled: bigint;
  if (sample && sample.length >= SW_BYTES + 16 && sample.readUInt32LE(SW_BYTES) === FP_XSTATE_MAGIC1) {
    enabled = sample.readBigUInt64LE(SW_BYTES + 8);
  } else if (typeof native.cpuid === 'function') {
    const [eax, , , edx] = native.cpuid(0xd, 0);
    enabled = (BigInt(edx >>> 0) << 32n) | BigInt(eax >>> 0);
  } else {
    enabled = 0x2e7n; // x87, SSE, AVX, AVX-512, PKRU
  }
  const layout: XsaveLayout = {};
  for (const [name, c] of Object.entries(COMPONENTS) as [ComponentName, (typeof COMPONENTS)[ComponentName]][]) {
    if (!((enabled >> BigInt(c.bit)) & 1n)) continue;
    // An addon built before cpuid existed: Intel's offsets (right on Intel CPUs only).
    const [size, offset] = typeof native.cpuid === 'function' ? native.cpuid(0xd, c.bit) : [c.size, INTEL_LAYOUT[name]!];
    if (size === c.size) layout[name] = offset;
  }
  if (sample) cpuLayoutCache = layout;
  return layout;
}

function readU32s(buf: Buffer, off: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => buf.readUInt32LE(off + i * 4));
}
function readU64s(buf: Buffer, off: number, n: number): bigint[] {
  return Array.from({ length: n }, (_, i) => buf.readBigUInt64LE(off + i * 8));
}

export function decodeXsave(buf: Buffer, layout: XsaveLayout = cpuLayout(buf)): XsaveImage {
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
      const offset = layout[name];
      if (offset === undefined || buf.length < offset + c.size) continue;
      if (c.words === 32) (xsave as Record<string, unknown>)[name] = readU32s(buf, offset, c.size / 4);
      else (xsave as Record<string, unknown>)[name] = readU64s(buf, offset, c.size / 8);
    }
    img.xsave = xsave;
  }
  return img;
}

/**
 * Writes an image's FPU state over `template`, an xsave buffer of the restoring task (right size
 * and valid header for this CPU). Components absent from the image keep the template's (init) state.
 */
export function encodeXsave(img: XsaveImage, template: Buffer, layout: XsaveLayout = cpuLayout(template)): Buffer {
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
      const offset = layout[name];
      if (offset === undefined || buf.length < offset + c.size) {
        if ((img.xsave.xstate_bv >> BigInt(c.bit)) & 1n) {
          throw new Error(`xsave component ${name} is in use but this CPU's xsave area (${buf.length} bytes) lacks it`);
        }
        continue;
      }
      const width = c.words === 32 ? 4 : 8;
      if (words.length * width !== c.size) throw new Error(`xsave component ${name} holds ${words.length * width} bytes, not ${c.size}`);
      words.forEach((w, i) => {
        if (typeof w === 'bigint') buf.writeBigUInt64LE(w, offset + i * 8);
        else buf.writeUInt32LE(w, offset + i * 4);
      });
    }
    buf.writeBigUInt64LE(img.xsave.xstate_bv, HEADER);
  }
  return buf;
}
