/** The images directory: 0700, files 0600 (images hold process memory: secrets). */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function ensureImagesDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/** Creates (truncating) a raw image file 0600 and returns its fd. */
export function createImageFile(dir: string, name: string): number {
  return fs.openSync(path.join(dir, name), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o600);
}
