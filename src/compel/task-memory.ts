/**
 * Reads and writes another task's memory through /proc/PID/mem, which (unlike
 * process_vm_readv) also reaches pages the task itself cannot read, such as PROT_NONE ones.
 */
import * as fs from 'node:fs';
import { nodeErrorToSys, SysError } from '../errors';

export class TaskMemory {
  private fd: number;
  constructor(readonly pid: number, writable = true) {
    try {
      this.fd = fs.openSync(`/proc/${pid}/mem`, writable ? 'r+' : 'r');
    } catch (e) {
      throw nodeErrorToSys(e, 'open /proc/PID/mem', pid);
    }
  }

  /** Reads exactly `length` bytes at `addr` into `buf` at `offset`. */
  readInto(addr: bigint, buf: Buffer, offset: number, length: number): void {
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = fs.readSync(this.fd, buf, offset + done, length - done, Number(addr) + done);
      } catch (e) {
        throw nodeErrorToSys(e, `read memory at 0x${(addr + BigInt(done)).toString(16)}`, this.pid);
      }
      if (n === 0) throw new SysError(5, `read memory at 0x${(addr + BigInt(done)).toString(16)} (short)`, this.pid);
      done += n;
    }
  }

  read(addr: bigint, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    this.readInto(addr, buf, 0, length);
    return buf;
  }

  write(addr: bigint, data: Buffer): void {
    let done = 0;
    while (done < data.length) {
      let n: number;
      try {
        n = fs.writeSync(this.fd, data, done, data.length - done, Number(addr) + done);
      } catch (e) {
        throw nodeErrorToSys(e, `write memory at 0x${(addr + BigInt(done)).toString(16)}`, this.pid);
      }
      done += n;
    }
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
