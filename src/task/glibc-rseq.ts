/**
 * Where glibc (2.35+) keeps a thread's rseq area: at the thread pointer plus `__rseq_offset`,
 * registered with `__rseq_size` bytes of it (0: glibc did not register) and the architecture's
 * RSEQ_SIG. Both are exported data of glibc's dynamic loader (ld-linux), set at start-up, so
 * they are read from the task's memory at the address the loader's symbol table gives.
 *
 * Used where the kernel cannot say where a thread's area is (no PTRACE_GET_RSEQ_CONFIGURATION
 * before 5.13): glibc's answer is then a candidate that an injected rseq() confirms (rseq.ts).
 */
import * as fs from 'node:fs';
import { MapsEntry } from '../proc/maps';
import { TaskMemory } from '../compel/task-memory';

export interface GlibcRseq {
  /** __rseq_offset: the area's offset from the thread pointer (fs_base on x86_64). */
  offset: bigint;
  /** __rseq_size: 0 when glibc did not register rseq (disabled by tunable, or refused). */
  size: number;
}

const SHT_DYNSYM = 11;
const PT_LOAD = 1;

/**
 * The mappings (at file offset 0) of glibc's dynamic loader and libc: the loader defines the two
 * symbols (libc only refers to them), libc is looked at too in case a build defines them there.
 */
function glibcMappings(maps: readonly MapsEntry[]): MapsEntry[] {
  const name = /\/(ld-linux[\w.-]*\.so\.\d+|ld-[\d.]+\.so|libc\.so\.6|libc-[\d.]+\.so)( \(deleted\))?$/;
  return maps.filter((m) => m.offset === 0n && name.test(m.path)).sort((a, b) => Number(/\/ld-/.test(b.path)) - Number(/\/ld-/.test(a.path)));
}

/** Values of the dynamic symbols `names` of an ELF64 file, by name (undefined: not there). */
export function dynamicSymbols(elf: Buffer, names: readonly string[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 /* ELFCLASS64 */ || elf[5] !== 1 /* little-endian */) return out;
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a), shnum = elf.readUInt16LE(0x3c);
  if (shoff + shnum * shentsize > elf.length) return out;
  const header = (i: number) => shoff + i * shentsize;
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    if (elf.readUInt32LE(h + 4) !== SHT_DYNSYM) continue;
    const symOff = Number(elf.readBigUInt64LE(h + 0x18)), symSize = Number(elf.readBigUInt64LE(h + 0x20));
    const entsize = Number(elf.readBigUInt64LE(h + 0x38)) || 24;
    const link = elf.readUInt32LE(h + 0x28);
    if (link >= shnum) return out;
    const strOff = Number(elf.readBigUInt64LE(header(link) + 0x18)), strSize = Number(elf.readBigUInt64LE(header(link) + 0x20));
    if (symOff + symSize > elf.length || strOff + strSize > elf.length) return out;
    const wanted = new Set(names);
    for (let s = symOff; s + entsize <= symOff + symSize; s += entsize) {
      const nameAt = strOff + elf.readUInt32LE(s);
      if (nameAt >= strOff + strSize) continue;
      const end = elf.indexOf(0, nameAt);
      const name = elf.toString('latin1', nameAt, end < 0 ? strOff + strSize : end);
      if (!wanted.has(name)) continue;
      // st_shndx 0: an undefined symbol (a reference to another object), not a definition.
      if (elf.readUInt16LE(s + 6) === 0) continue;
      out.set(name, elf.readBigUInt64LE(s + 8));
    }
  }
  return out;
}

/** The lowest PT_LOAD's virtual address (0 for a shared object built as usual). */
function firstLoadVaddr(elf: Buffer): bigint {
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36), phnum = elf.readUInt16LE(0x38);
  let low: bigint | undefined;
  for (let i = 0; i < phnum; i++) {
    const h = phoff + i * phentsize;
    if (h + 56 > elf.length || elf.readUInt32LE(h) !== PT_LOAD) continue;
    const v = elf.readBigUInt64LE(h + 0x10) & ~0xfffn;
    if (low === undefined || v < low) low = v;
  }
  return low ?? 0n;
}

/**
 * glibc's rseq layout in task `pid` (maps as read at dump), or undefined when the task has no
 * dynamic libc exporting it (glibc before 2.35, musl, a static program).
 */
export function glibcRseq(pid: number, maps: readonly MapsEntry[], mem: TaskMemory): GlibcRseq | undefined {
  for (const m of glibcMappings(maps)) {
    let elf: Buffer;
    try {
      // The mapped file itself, wherever the task's root is.
      elf = fs.readFileSync(`/proc/${pid}/map_files/${m.start.toString(16)}-${m.end.toString(16)}`);
    } catch {
      try {
        elf = fs.readFileSync(`/proc/${pid}/root${m.path.replace(/ \(deleted\)$/, '')}`);
      } catch {
        continue;
      }
    }
    const syms = dynamicSymbols(elf, ['__rseq_offset', '__rseq_size']);
    const off = syms.get('__rseq_offset'), size = syms.get('__rseq_size');
    if (off === undefined || size === undefined) continue;
    const bias = m.start - firstLoadVaddr(elf);
    return { offset: mem.read(bias + off, 8).readBigInt64LE(0), size: mem.read(bias + size, 4).readUInt32LE(0) };
  }
  return undefined;
}
