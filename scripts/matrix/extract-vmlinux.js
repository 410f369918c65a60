'use strict';
/**
 * Unpacks the ELF vmlinux from a compressed kernel image (bzImage, or arm64's Image.gz): find
 * the magic of a compression format, hand everything from there to its decompressor, keep the
 * first output that is an ELF file (or, for arm64, a raw Image). A decompressor that complains
 * about trailing data is fine: the payload is followed by the rest of the image.
 */
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const { MatrixError } = require('./errors');

const FORMATS = [
  { name: 'gzip', magic: Buffer.from([0x1f, 0x8b, 0x08]), cmd: ['gzip', '-dc'] },
  { name: 'xz', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), cmd: ['xz', '-dc'] },
  { name: 'zstd', magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), cmd: ['zstd', '-dc'] },
  { name: 'bzip2', magic: Buffer.from('BZh'), cmd: ['bzip2', '-dc'] },
  { name: 'lzma', magic: Buffer.from([0x5d, 0x00, 0x00, 0x00]), cmd: ['xz', '--format=lzma', '-dc'] },
  { name: 'lz4', magic: Buffer.from([0x02, 0x21, 0x4c, 0x18]), cmd: ['lz4', '-dc'] },
  { name: 'lzo', magic: Buffer.from([0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]), cmd: ['lzop', '-dc'] },
];

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const ARM64_IMAGE_MAGIC = Buffer.from('ARM\x64'); // at offset 56 of an arm64 Image

function isKernel(buf) {
  if (buf.length < 64) return false;
  return buf.subarray(0, 4).equals(ELF) || buf.subarray(56, 60).equals(ARM64_IMAGE_MAGIC);
}

/** Offsets where `magic` occurs in buf, at most `limit` of them. */
function offsets(buf, magic, limit = 16) {
  const found = [];
  for (let at = buf.indexOf(magic); at !== -1 && found.length < limit; at = buf.indexOf(magic, at + 1)) found.push(at);
  return found;
}

/** Returns { format, offset, data } for the first payload that decompresses to a kernel. */
function unpackKernel(image) {
  if (isKernel(image)) return { format: 'none', offset: 0, data: image };
  for (const f of FORMATS) {
    for (const at of offsets(image, f.magic)) {
      const r = spawnSync(f.cmd[0], f.cmd.slice(1), { input: image.subarray(at), maxBuffer: 1 << 30 });
      if (r.error) continue; // decompressor not installed: the caller installs the usual ones
      if (r.stdout && isKernel(r.stdout)) return { format: f.name, offset: at, data: r.stdout };
    }
  }
  return null;
}

/**
 * Writes the unpacked kernel of `imagePath` to `outPath`; returns the format name ('none', and
 * nothing written, when the image is not compressed: arm64's Debian vmlinuz is a plain Image).
 */
function extractVmlinux(imagePath, outPath) {
  const found = unpackKernel(fs.readFileSync(imagePath));
  if (!found) {
    throw new MatrixError('KERNEL', `no compressed kernel found in ${imagePath}`, { path: imagePath });
  }
  if (found.format === 'none') return 'none';
  fs.writeFileSync(`${outPath}.tmp`, found.data);
  fs.renameSync(`${outPath}.tmp`, outPath);
  return found.format;
}

module.exports = { extractVmlinux, unpackKernel, FORMATS };
