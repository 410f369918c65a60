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

/**
 * Removes the images (*.img) written at or after `sinceMs`: what a failed dump wrote, new files
 * and files it overwrote alike, so that no mix of an older dump and a half-written one is left
 * to restore (an older set it partly overwrote is then incomplete, and restore says which file
 * is missing). Logs and files older than the dump stay.
 */
export function removeImagesSince(dir: string, sinceMs: number, log: { info(m: string): void; error(m: string): void }): void {
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.endsWith('.img')) continue;
    const file = path.join(dir, name);
    try {
      // mtime has the file system's granularity: a millisecond of slack on the dump's side.
      if (fs.statSync(file).mtimeMs >= sinceMs - 1) {
        fs.rmSync(file);
        removed++;
      }
    } catch (e) {
      log.error(`removing the partial image ${file}: ${(e as Error).message}`);
    }
  }
  if (removed) log.info(`removed ${removed} images of the failed dump from ${dir}`);
}
