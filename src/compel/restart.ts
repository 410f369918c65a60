/**
 * Syscall restart by hand. A task stopped inside a syscall shows ax = -ERESTART* and
 * orig_ax = the syscall. Resumed from a signal stop, the kernel restarts it; resumed from a
 * syscall-exit stop (where we leave tasks after removing the scratch area) nothing does,
 * so we rewrite the registers the way the kernel would have.
 */
import { GpRegs } from '../arch/x86_64/regs';
import { SYSCALL_INSN_LEN } from '../arch/x86_64/regs';

const ERESTARTSYS = -512n;
const ERESTARTNOINTR = -513n;
const ERESTARTNOHAND = -514n;
const ERESTART_RESTARTBLOCK = -516n;
const NR_RESTART_SYSCALL = 219n;
const EINTR = -4n;
/** epoll_wait, epoll_pwait, epoll_pwait2: they answer any stop with EINTR, never ERESTART*. */
const EINTR_ON_STOP = new Set([232n, 281n, 441n]);

/**
 * @param restartBlockKept true when the kernel still holds the task's restart block (the same
 * task resumes after a dump); false for a restored task, whose restart block is gone.
 * @param signalPending a signal waits for the thread: an EINTR is then the program's to see (a
 * function: asked only for an EINTR of an epoll wait, the one case it decides).
 */
export function applySyscallRestart(regs: GpRegs, restartBlockKept: boolean, signalPending: boolean | (() => boolean) = true): GpRegs {
  const out = { ...regs };
  const origAx = BigInt.asIntN(64, regs.orig_ax);
  if (origAx >= 0n) {
    const ax = BigInt.asIntN(64, regs.ax);
    // An epoll wait that our freeze interrupted returns EINTR: with no signal to explain it, the
    // program would see a spurious error. The wait starts over (a timeout only lengthens).
    const frozenEpoll = ax === EINTR && EINTR_ON_STOP.has(origAx) && !(typeof signalPending === 'function' ? signalPending() : signalPending);
    if (ax === ERESTARTSYS || ax === ERESTARTNOINTR || ax === ERESTARTNOHAND || frozenEpoll) {
      out.ax = regs.orig_ax;
      out.ip = regs.ip - SYSCALL_INSN_LEN;
    } else if (ax === ERESTART_RESTARTBLOCK) {
      if (restartBlockKept) {
        out.ax = NR_RESTART_SYSCALL;
        out.ip = regs.ip - SYSCALL_INSN_LEN;
      } else {
        // The kernel's restart block (remaining time of a sleep, a poll, a futex wait) did not
        // survive: issue the original syscall again with its original arguments. A relative
        // timeout starts over, which the program cannot tell from a late wake-up; EINTR (what
        // restart_syscall would give without its block) would be a spurious error to it.
        out.ax = regs.orig_ax;
        out.ip = regs.ip - SYSCALL_INSN_LEN;
      }
    }
  }
  out.orig_ax = BigInt.asUintN(64, -1n);
  return out;
}

/**
 * The registers for a restored thread that is resumed from inside the kernel's signal handling
 * (a signal-delivery or ptrace event stop): the kernel then restarts an interrupted syscall
 * itself, exactly as it would have, including when a signal handler runs first (EINTR unless
 * SA_RESTART). Only what the kernel cannot do is rewritten: a restart block that did not survive
 * becomes a plain restart of the original call (EINTR if a handler runs, as for a sleep), and an
 * epoll wait our freeze broke with EINTR becomes restartable the same way.
 */
export function kernelRestartRegs(regs: GpRegs): GpRegs {
  const out = { ...regs };
  const origAx = BigInt.asIntN(64, regs.orig_ax);
  if (origAx < 0n) return out;
  const ax = BigInt.asIntN(64, regs.ax);
  if (ax === ERESTART_RESTARTBLOCK || (ax === EINTR && EINTR_ON_STOP.has(origAx))) out.ax = BigInt.asUintN(64, ERESTARTNOHAND);
  return out;
}

/**
 * The registers as images hold them (CRIU's meaning: what the thread resumes with, whoever
 * restores it, CRIU's restorer returning to them through sigreturn): a syscall the stop
 * interrupted is already set to run again (ax = orig_ax, ip back on the syscall instruction).
 * A call that needs the kernel's restart block (-ERESTART_RESTARTBLOCK: sleeps, some polls and
 * futex waits) runs again with its original arguments too, as amber's own restore does; CRIU
 * makes it return EINTR instead. orig_ax is kept, as in CRIU's images.
 */
export function imageRegs(regs: GpRegs, signalPending = true): GpRegs {
  const out = { ...regs };
  const origAx = BigInt.asIntN(64, regs.orig_ax);
  if (origAx < 0n) return out;
  const ax = BigInt.asIntN(64, regs.ax);
  // An epoll wait broken by the freeze alone (no signal to explain its EINTR) waits again too.
  const frozenEpoll = ax === EINTR && EINTR_ON_STOP.has(origAx) && !signalPending;
  if (ax === ERESTARTSYS || ax === ERESTARTNOINTR || ax === ERESTARTNOHAND || ax === ERESTART_RESTARTBLOCK || frozenEpoll) {
    out.ax = regs.orig_ax;
    out.ip = regs.ip - SYSCALL_INSN_LEN;
  }
  return out;
}
