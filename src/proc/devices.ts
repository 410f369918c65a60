/**
 * Device numbers in their two encodings: the one stat(2), /proc/PID/stat's tty_nr and rdev carry
 * (glibc's: minor's low byte, major, then minor's high bits), and the kernel's own dev_t
 * (major << 20 | minor) that fdinfo's sdev and CRIU's images use.
 */
export function devParts(dev: number | bigint): { major: number; minor: number } {
  const d = BigInt(dev);
  return {
    major: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)),
    minor: Number((d & 0xffn) | ((d >> 12n) & ~0xffn)),
  };
}

/** stat's encoding of major:minor. */
export function makeDev(major: number, minor: number): number {
  return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);
}

/** The kernel's dev_t (major << 20 | minor) of a stat-encoded device number. */
export function kernelDev(dev: number | bigint): number {
  const { major, minor } = devParts(dev);
  return Number(((BigInt(major) << 20n) | BigInt(minor)) & 0xffffffffn);
}
