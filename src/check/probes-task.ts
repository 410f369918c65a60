/**
 * Probes of tasks: ptrace requests on a stopped child, what a child may do to itself (clone3 with
 * set_tid, restore-ids timers, 32-bit syscalls and vDSO mapping, new namespaces), pidfds, kcmp.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import {
  addressOf, allOk, breakpointTarget, Call, closeQuietly, CLONE_NEWCGROUP, CLONE_NEWTIME, CLONE_NEWUSER, E,
  errName, forkStopped, inChild, NR, Probe, procRow, readlinkOr, reap, specialMappings, sys, WIFSTOPPED, withTracedChild,
  WSTOPSIG,
} from './sys';

const PTRACE_POKEUSER = 6, PTRACE_SETOPTIONS = 0x4200, PTRACE_SECCOMP_GET_FILTER = 0x420c;
const PTRACE_O_SUSPEND_SECCOMP = 0x200000;
const NT_PRSTATUS = 1, NT_X86_XSTATE = 0x202;
const WALL = 0x40000000, WUNTRACED = 2;
const PR_SET_NO_NEW_PRIVS = 38, PR_SET_MM = 35, PR_SET_MM_MAP_SIZE = 15, PR_TIMER_CREATE_RESTORE_IDS = 77;
const SECCOMP_SET_MODE_FILTER = 1;
const ARCH_MAP_VDSO_32 = 0x2002, ARCH_MAP_VDSO_64 = 0x2003;
/** offsetof(struct user, u_debugreg) on x86_64: DR0 there, DR7 seven words on. */
const U_DEBUGREG = 848;
const SIGTRAP = 5;

/**
 * ptrace as the engine drives it: PTRACE_SEIZE of a stopped child, PTRACE_INTERRUPT (the child
 * reports PTRACE_EVENT_STOP), then GETREGSET of the registers and the whole xsave area, the
 * signal mask and PEEKSIGINFO. Each must answer on this kernel for a dump to work.
 */
export const probePtrace: Probe = () => {
  const pid = forkStopped([]).pid;
  try {
    const [, st] = native.waitpid(pid, WUNTRACED);
    if (!WIFSTOPPED(st)) return 'the probe child did not stop';
    native.ptraceSeize(pid, 0);
    native.ptraceInterrupt(pid);
    const [, st2] = native.waitpid(pid, WALL);
    if (!WIFSTOPPED(st2) || st2 >> 16 !== 128 /* PTRACE_EVENT_STOP */) return `PTRACE_INTERRUPT gave wait status ${st2.toString(16)}, not PTRACE_EVENT_STOP`;
    const regs = native.ptraceGetRegset(pid, NT_PRSTATUS, 27 * 8);
    if (regs.length !== 27 * 8) return `NT_PRSTATUS gave ${regs.length} bytes`;
    const xs = native.ptraceGetRegset(pid, NT_X86_XSTATE, 16384);
    if (xs.length < 576) return `NT_X86_XSTATE gave ${xs.length} bytes`;
    native.ptraceGetSigmask(pid);
    native.ptracePeekSiginfo(pid, 0, 1, false);
    return undefined;
  } finally {
    reap(pid);
  }
};

/** PTRACE_O_SUSPEND_SECCOMP: a tracer may switch its tracee's seccomp off (EINVAL where unknown). */
export const probeSeccompSuspend: Probe = () => {
  return withTracedChild([], (pid) => {
    const s = sys(NR.ptrace, PTRACE_SETOPTIONS, pid, 0, PTRACE_O_SUSPEND_SECCOMP);
    return s.ret === -1 ? `PTRACE_SETOPTIONS(PTRACE_O_SUSPEND_SECCOMP): ${errName(s.errno)}` : undefined;
  });
};

/** An allow-everything classic BPF program (one BPF_RET|BPF_K SECCOMP_RET_ALLOW) and its sock_fprog. */
function allowAllFilter(): { prog: Buffer; fprog: Buffer } {
  const prog = Buffer.alloc(8);
  prog.writeUInt16LE(0x06, 0);
  prog.writeUInt32LE(0x7fff0000, 4);
  const fprog = Buffer.alloc(16);
  fprog.writeUInt16LE(1, 0);
  fprog.writeBigUInt64LE(addressOf(prog), 8);
  return { prog, fprog };
}

/**
 * PTRACE_SECCOMP_GET_FILTER: a child installs a one-instruction seccomp filter; the tracer asks
 * for filter 0 with no buffer and must be told its length, 1.
 */
export const probeSeccompFilters: Probe = () => {
  const { prog, fprog } = allowAllFilter();
  const calls: Call[] = [[NR.prctl, [PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0]], [NR.seccomp, [SECCOMP_SET_MODE_FILTER, 0, fprog]]];
  const r = withTracedChild(calls, (pid) => {
    const s = sys(NR.ptrace, PTRACE_SECCOMP_GET_FILTER, pid, 0, 0);
    if (s.ret === -1) return `PTRACE_SECCOMP_GET_FILTER: ${errName(s.errno)}`;
    return s.ret === 1 ? undefined : `PTRACE_SECCOMP_GET_FILTER said ${s.ret} instructions, not 1`;
  });
  void prog; // kept alive: the child's filter points at it
  return r;
};

/**
 * PTRACE_GET_RSEQ_CONFIGURATION: the tracer reads where its tracee's rseq area is (24 bytes;
 * the child inherits the rseq registration glibc made for this thread).
 */
export const probeGetRseqConf: Probe = () =>
  withTracedChild([], (pid) => {
    const b = native.ptraceGetRseqConfig(pid);
    return b.length >= 24 ? undefined : `PTRACE_GET_RSEQ_CONFIGURATION gave ${b.length} bytes`;
  });

/**
 * Hardware breakpoints through ptrace: the tracer writes DR0 (an address the child will run) and
 * DR7 (enable it, execute) with PTRACE_POKEUSER, lets the stopped child go, and the child must
 * stop with SIGTRAP at that address.
 */
export const probeBreakpoints: Probe = () =>
  withTracedChild([], (pid) => {
    const target = breakpointTarget();
    const a = sys(NR.ptrace, PTRACE_POKEUSER, pid, U_DEBUGREG, target);
    if (a.ret === -1) return `PTRACE_POKEUSER DR0: ${errName(a.errno)}`;
    const b = sys(NR.ptrace, PTRACE_POKEUSER, pid, U_DEBUGREG + 7 * 8, 1);
    if (b.ret === -1) return `PTRACE_POKEUSER DR7: ${errName(b.errno)}`;
    native.ptraceCont(pid, 0);
    const [, st] = native.waitpid(pid, WALL);
    if (!WIFSTOPPED(st) || WSTOPSIG(st) !== SIGTRAP) return `the child did not stop at the breakpoint (wait status ${st.toString(16)})`;
    const rip = native.ptraceGetRegset(pid, NT_PRSTATUS, 27 * 8).readBigUInt64LE(16 * 8);
    return rip === target ? undefined : `stopped at ${rip.toString(16)}, not at the breakpoint ${target.toString(16)}`;
  });

/**
 * clone3 with set_tid: asking for PID 1 of this namespace, which is taken, must fail with EEXIST
 * (the kernel looked at set_tid); E2BIG means a clone3 without set_tid, ENOSYS no clone3. Run in a
 * child, so that nothing of this process could ever be cloned.
 */
export const probeClone3SetTid: Probe = () => {
  const tid = Buffer.alloc(4);
  tid.writeInt32LE(1, 0);
  const args = Buffer.alloc(80);
  args.writeBigUInt64LE(17n, 32); // exit_signal SIGCHLD
  args.writeBigUInt64LE(addressOf(tid), 64);
  args.writeBigUInt64LE(1n, 72);
  const run = inChild([[NR.clone3, [args, 80]]]);
  const r = run.results[0];
  if (!r) return 'the probe child died';
  if (r.ret === -1 && r.errno === E.EEXIST) return undefined;
  return r.ret === -1 ? `clone3(set_tid=[1]) failed with ${errName(r.errno)}, not EEXIST` : 'clone3(set_tid=[1]) created a process';
};

/**
 * PR_TIMER_CREATE_RESTORE_IDS: in a child with the mode on, timer_create takes the id it is given
 * (42), which timer_getoverrun then finds.
 */
export const probeTimerCrIds: Probe = () => {
  const sev = Buffer.alloc(64);
  sev.writeInt32LE(1, 12); // sigev_notify = SIGEV_NONE
  const id = Buffer.alloc(4);
  id.writeInt32LE(42, 0);
  const run = inChild([[NR.prctl, [PR_TIMER_CREATE_RESTORE_IDS, 1, 0, 0, 0]], [NR.timer_create, [1, sev, id]], [NR.timer_getoverrun, [42]]]);
  if (allOk(run, 3)) return undefined;
  const i = run.results.findIndex((x) => x.ret === -1);
  const what = ['prctl(PR_TIMER_CREATE_RESTORE_IDS, ON)', 'timer_create with id 42', 'timer_getoverrun(42)'][i] ?? 'the probe child';
  return i < 0 ? 'the probe child died' : `${what}: ${errName(run.results[i].errno)}`;
};

/** The child's calls that unmap this process's vDSO and vvar areas (the child inherits the layout). */
function unmapVdsoCalls(): { calls: Call[]; at: bigint } {
  const maps = specialMappings(['[vdso]', '[vvar]', '[vvar_vclock]']);
  const calls: Call[] = [];
  let at = 0n;
  for (const m of maps.values()) {
    calls.push([NR.munmap, [m.start, m.end - m.start]]);
    if (at === 0n || m.start < at) at = m.start;
  }
  return { calls, at };
}

/**
 * Mapping a vDSO on request (ARCH_MAP_VDSO_64), which restore needs when the dumped vDSO sat
 * elsewhere: a child unmaps its vDSO and vvar and asks for a new 64-bit one, whose size comes back.
 */
export const probeCanMapVdso: Probe = () => {
  const { calls, at } = unmapVdsoCalls();
  const run = inChild([...calls, [NR.arch_prctl, [ARCH_MAP_VDSO_64, at]]]);
  const last = run.results[calls.length];
  if (!last) return run.results.length < calls.length ? 'the probe child could not unmap its vDSO' : 'the probe child died';
  return last.ret > 0 ? undefined : `arch_prctl(ARCH_MAP_VDSO_64): ${errName(last.errno)}`;
};

/**
 * C/R of 32-bit tasks: a child makes a syscall through the 32-bit entry (int $0x80 getpid, which
 * kills it where IA32 emulation is off) and maps a 32-bit vDSO (ARCH_MAP_VDSO_32) in place of its own.
 */
export const probeCompatCr: Probe = () => {
  const { calls, at } = unmapVdsoCalls();
  const run = inChild([[-1, []], ...calls, [NR.arch_prctl, [ARCH_MAP_VDSO_32, at]]]);
  const first = run.results[0];
  if (!first) return 'a 32-bit syscall (int $0x80) killed the probe child: no IA32 emulation';
  if (first.ret !== run.pid) return `the 32-bit getpid answered ${first.ret}${first.ret === -1 ? ` (${errName(first.errno)})` : ''}, not ${run.pid}`;
  const last = run.results[calls.length + 1];
  if (!last) return 'the probe child could not unmap its vDSO';
  return last.ret > 0 ? undefined : `arch_prctl(ARCH_MAP_VDSO_32): ${errName(last.errno)}`;
};

/**
 * What pidfd_store and the engine's fd stealing need: pidfd_open of this process, then
 * pidfd_getfd of one end of a socketpair gives a working duplicate (a byte sent through it arrives).
 */
export const probePidfdGetfd: Probe = () => {
  const [a, b] = native.socketpair(1 /* AF_UNIX */, 2 /* SOCK_DGRAM */ | 0o2000000, 0);
  let pidfd = -1, dup = -1;
  try {
    pidfd = native.pidfdOpen(process.pid, 0);
    dup = native.pidfdGetfd(pidfd, a);
    native.sendmsg(dup, Buffer.from('amber'), null, null, 0);
    const got = native.recvmsg(b, 16, 0, 0x40 /* MSG_DONTWAIT */);
    return got.data.toString() === 'amber' ? undefined : 'the byte sent through the pidfd_getfd duplicate did not arrive';
  } finally {
    for (const fd of [a, b, pidfd, dup]) closeQuietly(fd);
  }
};

/**
 * kcmp(KCMP_EPOLL_TFD): which file an epoll instance watches under a given fd. The read end of a
 * pipe added to an epoll must compare equal (0) to itself.
 */
export const probeKcmpEpoll: Probe = () => {
  const [r, w] = native.pipe2(0o2000000);
  const ep = native.epollCreate(0o2000000);
  try {
    const ev = Buffer.alloc(12);
    ev.writeUInt32LE(1 /* EPOLLIN */, 0);
    const add = sys(233 /* epoll_ctl */, ep, 1 /* EPOLL_CTL_ADD */, r, ev);
    if (add.ret === -1) return `epoll_ctl: ${errName(add.errno)}`;
    const slot = Buffer.alloc(12);
    slot.writeUInt32LE(ep, 0);
    slot.writeUInt32LE(r, 4);
    const k = sys(NR.kcmp, process.pid, process.pid, 7 /* KCMP_EPOLL_TFD */, r, slot);
    if (k.ret === -1) return `kcmp(KCMP_EPOLL_TFD): ${errName(k.errno)}`;
    return k.ret === 0 ? undefined : `kcmp(KCMP_EPOLL_TFD) said ${k.ret}, not equal`;
  } finally {
    for (const fd of [r, w, ep]) closeQuietly(fd);
  }
};

/** kcmp(KCMP_FILE) of an fd with itself: 0 (how the engine finds shared open files). */
export const probeKcmp: Probe = () => {
  const fd = fs.openSync('/proc/self/stat', 'r');
  try {
    const k = sys(NR.kcmp, process.pid, process.pid, 0 /* KCMP_FILE */, fd, fd);
    if (k.ret === -1) return `kcmp(KCMP_FILE): ${errName(k.errno)}`;
    return k.ret === 0 ? undefined : `kcmp(KCMP_FILE) said ${k.ret} for the same fd`;
  } finally {
    closeQuietly(fd);
  }
};

/** PR_SET_MM_MAP_SIZE: the kernel's struct prctl_mm_map size (restore sets all mm bounds with PR_SET_MM_MAP). */
export const probePrctlMmMap: Probe = () => {
  const size = Buffer.alloc(4);
  const s = sys(NR.prctl, PR_SET_MM, PR_SET_MM_MAP_SIZE, size, 0, 0);
  if (s.ret === -1) return `prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE): ${errName(s.errno)}`;
  return size.readUInt32LE(0) >= 104 ? undefined : `struct prctl_mm_map is ${size.readUInt32LE(0)} bytes`;
};

/** A namespace kind: /proc/self/ns/NAME is a namespace link and a child can unshare a new one. */
function nsProbe(name: string, flag: number): Probe {
  return () => {
    const link = readlinkOr(`/proc/self/ns/${name}`);
    if (!link || !link.startsWith(`${name}:[`)) return `/proc/self/ns/${name} is not there`;
    const run = inChild([[NR.unshare, [flag]]]);
    const r = run.results[0];
    if (!r) return 'the probe child died';
    return r.ret === -1 ? `unshare of a new ${name} namespace: ${errName(r.errno)}` : undefined;
  };
}

/** User namespaces, as restore creates them: ns/user, a child's unshare, and PR_SET_MM_MAP (usable there). */
export const probeUserns: Probe = () => nsProbe('user', CLONE_NEWUSER)() ?? probePrctlMmMap();
export const probeCgroupns: Probe = nsProbe('cgroup', CLONE_NEWCGROUP);
/** Time namespaces: ns/time, /proc/self/timens_offsets (where restore writes the offsets), a child's unshare. */
export const probeTimens: Probe = () => {
  if (!fs.existsSync('/proc/self/timens_offsets')) return '/proc/self/timens_offsets is not there';
  return nsProbe('time', CLONE_NEWTIME)();
};

/** NSpid in /proc/self/status: a task's pid in every nested pid namespace; the last is ours. */
export const probeNsPid: Probe = () => {
  const row = procRow(fs.readFileSync('/proc/self/status', 'utf8'), 'NSpid');
  if (row === undefined) return '/proc/self/status has no NSpid row';
  const pids = row.split(/\s+/).map(Number);
  return pids[pids.length - 1] === process.pid ? undefined : `NSpid ${row} does not end with this pid ${process.pid}`;
};

/**
 * The audit login uid can be set (restore gives it back): /proc/self/loginuid is there and takes
 * its own value written back.
 */
export const probeLoginuid: Probe = () => {
  let v: string;
  try {
    v = fs.readFileSync('/proc/self/loginuid', 'utf8').trim();
  } catch {
    return '/proc/self/loginuid is not there (no CONFIG_AUDITSYSCALL)';
  }
  try {
    fs.writeFileSync('/proc/self/loginuid', v);
  } catch (e) {
    return `writing /proc/self/loginuid: ${(e as NodeJS.ErrnoException).code}`;
  }
  return undefined;
};

/** The capabilities dump and restore need: CAP_SYS_PTRACE, and CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE. */
export const probeCapabilities: Probe = () => {
  const eff = BigInt('0x' + (procRow(fs.readFileSync('/proc/self/status', 'utf8'), 'CapEff') ?? '0'));
  const has = (bit: number) => (eff >> BigInt(bit)) & 1n;
  if (!has(19)) return 'no CAP_SYS_PTRACE';
  if (!has(21) && !has(40)) return 'neither CAP_SYS_ADMIN nor CAP_CHECKPOINT_RESTORE';
  return undefined;
};
