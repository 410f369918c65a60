/**
 * The unused tail of a vDSO: the vDSO is a whole ELF file mapped from its first byte, and the
 * bytes after its last section and its section headers, up to the end of its last page, belong
 * to nothing. Where infect.ts puts the code a task runs if amber dies (arch/x86_64/recovery.ts).
 */

export interface VdsoTail {
  /** Address of the first free byte (16-aligned). */
  start: bigint;
  size: number;
}

const SHT_NOBITS = 8;

/**
 * The free tail of `text`, the vDSO's bytes as mapped at `base`; undefined when it is not an
 * ELF64 file amber can read, or the tail holds anything but zeros.
 */
export function vdsoTail(text: Buffer, base: bigint): VdsoTail | undefined {
  if (text.length < 64 || text.readUInt32BE(0) !== 0x7f454c46 || text[4] !== 2 /* ELFCLASS64 */) return undefined;
  const shoff = Number(text.readBigUInt64LE(0x28));
  const phoff = Number(text.readBigUInt64LE(0x20));
  const phentsize = text.readUInt16LE(0x36), phnum = text.readUInt16LE(0x38);
  const shentsize = text.readUInt16LE(0x3a), shnum = text.readUInt16LE(0x3c);
  let end = Math.max(64, phoff + phentsize * phnum, shoff + shentsize * shnum);
  if (end > text.length) return undefined;
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize;
    if (text.readUInt32LE(h + 4) === SHT_NOBITS) continue;
    end = Math.max(end, Number(text.readBigUInt64LE(h + 0x18) + text.readBigUInt64LE(h + 0x20)));
  }
  for (let i = 0; i < phnum; i++) {
    const h = phoff + i * phentsize;
    end = Math.max(end, Number(text.readBigUInt64LE(h + 0x08) + text.readBigUInt64LE(h + 0x20)));
  }
  const start = (end + 15) & ~15;
  if (start >= text.length) return undefined;
  for (let i = start; i < text.length; i++) if (text[i] !== 0) return undefined;
  return { start: base + BigInt(start), size: text.length - start };
}
