import { native } from './native';

/** TCGETS2: answers on a terminal only. */
const TCGETS2 = 0x802c542a;

/**
 * Whether fd is a terminal, asked of the kernel: process.stderr.isTTY would build Node's stderr
 * stream, whose modules (streams, abort controllers) cost some 7 ms of every command's start.
 */
function isTerminal(fd: number): boolean {
  try {
    native.ttyGet(fd, TCGETS2);
    return true;
  } catch {
    return false;
  }
}

/** Bytes of memory done so far, for a caller of the library API (onProgress). */
export type ProgressListener = (bytesDone: number) => void;

/**
 * Progress of long dumps and restores: to a listener of the caller's if there is one, else on
 * the terminal, shown after one second, on stderr only if it is a TTY.
 */
export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private bytes = 0;
  private shown = false;
  private readonly enabled: boolean;
  constructor(private readonly what: string, private readonly listener?: ProgressListener) {
    this.enabled = !listener && isTerminal(2);
  }

  add(bytes: number): void {
    this.bytes += bytes;
    this.listener?.(this.bytes);
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.start < 1000 || now - this.last < 200) return;
    this.last = now;
    this.shown = true;
    const mib = this.bytes / (1 << 20);
    const rate = mib / 1024 / ((now - this.start) / 1000);
    process.stderr.write(`\r${this.what}: ${mib.toFixed(0)} MiB (${rate.toFixed(2)} GiB/s)   `);
  }

  done(): void {
    if (this.shown) process.stderr.write('\n');
  }
}
