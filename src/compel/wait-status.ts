/** Decoding of waitpid() statuses, ptrace stops included. */
export const WNOHANG = 1;
export const WUNTRACED = 2;
export const __WALL = 0x40000000;
export const SIGTRAP = 5;
export const SIGKILL = 9;
export const SIGSTOP = 19;
export const PTRACE_EVENT_STOP = 128;
/**
 * The signal mask of a task while we inject into it: everything blocked but SIGTRAP. Our int3
 * raises a forced SIGTRAP, and a forced signal that is blocked has its handler reset to SIG_DFL
 * by the kernel: the program's own SIGTRAP handler would be lost. Unblocked, ptrace stops it
 * before any handler runs, and we discard it.
 */
export const INJECTION_SIGMASK = ~0n & ~(1n << BigInt(SIGTRAP - 1));

export type WaitStatus =
  | { kind: 'exited'; code: number }
  | { kind: 'signaled'; signal: number; core: boolean }
  | { kind: 'stopped'; signal: number; event: number; syscall: boolean }
  | { kind: 'continued' };

export function decodeWaitStatus(status: number): WaitStatus {
  const low = status & 0x7f;
  if (low === 0) return { kind: 'exited', code: (status >> 8) & 0xff };
  if (status === 0xffff) return { kind: 'continued' };
  if ((status & 0xff) === 0x7f) {
    const sig = (status >> 8) & 0xff;
    return { kind: 'stopped', signal: sig & 0x7f, syscall: sig === (SIGTRAP | 0x80), event: (status >> 16) & 0xff };
  }
  return { kind: 'signaled', signal: low, core: (status & 0x80) !== 0 };
}

export function describeWaitStatus(s: WaitStatus): string {
  switch (s.kind) {
    case 'exited': return `exited with code ${s.code}`;
    case 'signaled': return `killed by signal ${s.signal}${s.core ? ' (core dumped)' : ''}`;
    case 'stopped': return `stopped by signal ${s.signal}${s.event ? ` event ${s.event}` : ''}${s.syscall ? ' (syscall stop)' : ''}`;
    case 'continued': return 'continued';
  }
}
