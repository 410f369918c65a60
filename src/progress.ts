/** Progress on the terminal for long dumps and restores: shown after one second, on stderr only if it is a TTY. */
export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private bytes = 0;
  private shown = false;
  constructor(private readonly what: string, private readonly enabled = process.stderr.isTTY === true) {}

  add(bytes: number): void {
    this.bytes += bytes;
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
