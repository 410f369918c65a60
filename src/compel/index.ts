/**
 * compel: remote control of a stopped task, usable on its own.
 *
 *   const t = Tracee.seize(pid);               // PTRACE_SEIZE + INTERRUPT
 *   const inf = infect(t, parseMaps(...));     // scratch area + syscall gadget
 *   inf.remote.call(SYS.getpid);               // run any syscall inside the task
 *   inf.mem.read(addr, len); inf.mem.write(addr, buf);
 *   inf.cure();                                // remove every trace, registers back
 *   t.detach();                                // resume
 */
export { Tracee, TaskGoneError, PTRACE_O_EXITKILL, PTRACE_O_TRACESYSGOOD, PTRACE_O_SUSPEND_SECCOMP } from './tracee';
export { RemoteSyscalls, isErrorResult } from './remote-syscalls';
export { TaskMemory } from './task-memory';
export { infect, Infection, SCRATCH_SIZE } from './infect';
export { applySyscallRestart, imageRegs, kernelRestartRegs } from './restart';
