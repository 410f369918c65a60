'use strict';
/** newc cpio archives (what the kernel unpacks as an initramfs), uncompressed, owned by root. */
const fs = require('node:fs');
const { run } = require('./exec');

async function packDir(dir, outFile) {
  const tmp = `${outFile}.tmp`;
  await run(['sh', '-c', 'cd "$1" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet > "$2"', 'cpio', dir, tmp]);
  fs.renameSync(tmp, outFile);
}

/** Concatenated archives are one initramfs to the kernel. */
function concat(parts, outFile) {
  const tmp = `${outFile}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const p of parts) fs.writeSync(fd, fs.readFileSync(p));
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, outFile);
}

module.exports = { packDir, concat };
