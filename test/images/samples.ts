/**
 * One realistic set of entries per image kind, shared by the image tests.
 * 64-bit fields are bigint, with values above 2^53 where it matters.
 */
import type { Entry, ImageKindName } from '../../src/images';

export const U64_MAX = 0xffffffffffffffffn;
const words = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => (seed * 0x01000193 + i * 0x9e3779b1) >>> 0);

export const fown = { uid: 1000, euid: 1000, signum: 0, pid_type: 0, pid: 0 };

export const skOpts = {
  so_sndbuf: 212992,
  so_rcvbuf: 212992,
  so_snd_tmo_sec: 0n,
  so_snd_tmo_usec: 0n,
  so_rcv_tmo_sec: 0x7fffffffffffffffn,
  so_rcv_tmo_usec: 999999n,
  reuseaddr: true,
  so_filter: [U64_MAX, 0x0006000000000000n],
};

export const ids = { vm_id: 1, files_id: 2, fs_id: 3, sighand_id: 4, pid_ns_id: 5, net_ns_id: 6, mnt_ns_id: 9, time_ns_id: 12 };

export const gpregs = {
  r15: 0n, r14: 1n, r13: 2n, r12: 3n, bp: 0x7ffc3a1b2c40n, bx: 0n, r11: 0x246n, r10: 0n, r9: 0n, r8: 0n,
  ax: 0xfffffffffffffe00n, cx: 0x7f1d2e3f4a5bn, dx: 0n, si: 0n, di: 0n, orig_ax: 230n, ip: 0x7f1d2e3f4a5bn,
  cs: 0x33n, flags: 0x246n, sp: 0x7ffc3a1b2c38n, ss: 0x2bn, fs_base: 0x7f1d2e5f6740n, gs_base: 0n,
  ds: 0n, es: 0n, fs: 0n, gs: 0n,
};

export const xsave = {
  xstate_bv: 0x2e7n,
  ymmh_space: words(64, 7),
  bndreg_state: [],
  bndcsr_state: [],
  opmask_reg: [1n, 2n, 3n, 4n, 5n, 6n, 7n, U64_MAX],
  zmm_upper: Array.from({ length: 64 }, (_, i) => BigInt(i) * 0x0101010101010101n),
  hi16_zmm: Array.from({ length: 128 }, (_, i) => U64_MAX - BigInt(i)),
  pkru: [0x55555554],
};

export const fpregs = {
  cwd: 0x37f, swd: 0, twd: 0, fop: 0, rip: 0n, rdp: 0n, mxcsr: 0x1f80, mxcsr_mask: 0xffff,
  st_space: words(32, 1), xmm_space: words(64, 2), padding: new Array(24).fill(0), xsave,
};

export const coreLeader: Entry = {
  mtype: 1,
  thread_info: {
    clear_tid_addr: 0x7f1d2e5f6a10n,
    gpregs,
    fpregs,
    tls: [{ entry_number: 12, base_addr: 0, limit: 0xfffff, seg_32bit: true, contents_h: false, contents_l: false, read_exec_only: false, limit_in_pages: true, seg_not_present: false, usable: true }],
  },
  tc: {
    task_state: 1, exit_code: 0, personality: 0, flags: 0x400100, blk_sigset: 0x10000n, comm: 'amber-test',
    timers: {
      real: { isec: 0n, iusec: 0n, vsec: 1n, vusec: 500000n },
      virt: { isec: 0n, iusec: 0n, vsec: 0n, vusec: 0n },
      prof: { isec: 0n, iusec: 0n, vsec: 0n, vusec: 0n },
      posix: [{ it_id: 0, clock_id: 1, si_signo: 14, it_sigev_notify: 0, sival_ptr: U64_MAX, overrun: 0, isec: 1n, insec: 0n, vsec: 0n, vnsec: 999999999n }],
    },
    rlimits: { rlimits: [{ cur: 8388608n, max: U64_MAX }, { cur: 1024n, max: 1048576n }] },
    signals_s: { signals: [{ siginfo: Buffer.alloc(128, 0xab) }] },
    loginuid: 0xffffffff,
    oom_score_adj: -1000,
    sigactions: [{ sigaction: 0x55d0c0ffee00n, flags: 0x14000000n, restorer: 0x7f1d2e3f0000n, mask: 0n, compat_sigaction: false }],
    child_subreaper: false,
  },
  ids,
  thread_core: {
    futex_rla: 0x7f1d2e5f6a20n, futex_rla_len: 24, sched_nice: -5, sched_policy: 0, sched_prio: 0, blk_sigset: 0n,
    sas: { ss_sp: 0n, ss_size: 0n, ss_flags: 2 },
    creds: {
      uid: 1000, gid: 1000, euid: 1000, egid: 1000, suid: 1000, sgid: 1000, fsuid: 1000, fsgid: 1000,
      cap_inh: [0, 0], cap_prm: [0, 0], cap_eff: [0, 0], cap_bnd: [0xffffffff, 0x1ff], secbits: 0, groups: [1000, 27],
    },
    seccomp_mode: 0,
    comm: 'amber-test',
    rseq_entry: { rseq_abi_pointer: 0x7f1d2e5f6e20n, rseq_abi_size: 32, signature: 0x53053053 },
  },
};

export const mm: Entry = {
  mm_start_code: 0x55d0c0000000n, mm_end_code: 0x55d0c0001000n, mm_start_data: 0x55d0c0002000n, mm_end_data: 0x55d0c0003000n,
  mm_start_stack: 0x7ffc3a1b3000n, mm_start_brk: 0x55d0c1000000n, mm_brk: 0x55d0c1021000n, mm_arg_start: 0x7ffc3a1b4000n,
  mm_arg_end: 0x7ffc3a1b4010n, mm_env_start: 0x7ffc3a1b4010n, mm_env_end: 0x7ffc3a1b4ff0n, exe_file_id: 7,
  mm_saved_auxv: [33n, 0x7ffc3a1fe000n, 16n, 0x178bfbffn, 0n, 0n],
  vmas: [
    { start: 0x55d0c0000000n, end: 0x55d0c0001000n, pgoff: 0n, shmid: 7n, prot: 5, flags: 2, status: 0x41, fd: -1n },
    { start: 0x7ffc3a194000n, end: 0x7ffc3a1b5000n, pgoff: 0n, shmid: 0n, prot: 3, flags: 0x22, status: 0x201, fd: -1n, madv: 0x10000n },
    { start: 0xffffffffff600000n, end: 0xffffffffff601000n, pgoff: 0n, shmid: 0n, prot: 4, flags: 0x22, status: 0x5, fd: -1n },
  ],
  dumpable: 1,
  aios: [],
  thp_disabled: false,
};

/** An 8-byte file handle (type 1, ext4's FILEID_INO32_GEN) padded to CRIU's 16 words. */
const fh = (word: bigint, path?: string) => ({ bytes: 8, type: 1, handle: [word, ...new Array<bigint>(15).fill(0n)], ...(path ? { path } : {}) });

export const regFile = { id: 7, flags: 0x8000, pos: 0n, fown, name: '/usr/bin/amber-test', mnt_id: 25, size: 0x100000001n, mode: 0o100755, build_id: [0xdeadbeef, 1, 2, 3, 4] };

export const SAMPLES: Record<ImageKindName, Entry[]> = {
  INVENTORY: [{ img_version: 2, fdinfo_per_id: true, root_ids: ids, ns_per_id: true, lsmtype: 0, dump_uptime: 123456789012345678n, pre_dump_mode: 1, tcp_close: false, network_lock_method: 0 }],
  PSTREE: [
    { pid: 4000, ppid: 0, pgid: 4000, sid: 3999, threads: [4000, 4001] },
    { pid: 4002, ppid: 4000, pgid: 4000, sid: 3999, threads: [4002] },
  ],
  CORE: [coreLeader],
  IDS: [ids],
  MM: [mm],
  VMAS: [mm.vmas[0]],
  PAGEMAP: [
    { pages_id: 1 },
    { vaddr: 0x55d0c1000000n, nr_pages: 33, flags: 4 },
    { vaddr: 0x7ffc3a1b0000n, nr_pages: 5, flags: 5, in_parent: false },
  ],
  FDINFO: [
    { id: 1, flags: 0, type: 11, fd: 0 },
    { id: 2, flags: 1, type: 1, fd: 3 },
    { id: 3, flags: 0, type: 2, fd: 4 },
  ],
  FILES: [
    { type: 1, id: 7, reg: regFile },
    { type: 2, id: 3, pipe: { id: 3, pipe_id: 123456, flags: 0, fown } },
    { type: 3, id: 4, fifo: { id: 4, pipe_id: 123457, regf_id: 8 } },
    { type: 6, id: 5, efd: { id: 5, flags: 0x802, fown, counter: U64_MAX - 1n } },
    { type: 7, id: 6, epfd: { id: 6, flags: 2, fown, tfd: [{ id: 6, tfd: 5, events: 1, data: U64_MAX, dev: 14, inode: 1234n, pos: 0n }] } },
    { type: 11, id: 1, tty: { id: 1, tty_info_id: 9, flags: 0x8002, fown, regf_id: 10 } },
    { type: 16, id: 11, ext: { id: 11, fown } },
    { type: 18, id: 12, memfd: { id: 12, flags: 2, pos: 4096n, fown, inode_id: 3 } },
    { type: 5, id: 13, usk: { id: 13, ino: 55555, type: 1, state: 1, flags: 2, uflags: 0, backlog: 0, peer: 55556, fown, opts: skOpts, name: Buffer.from('\0abstract'), shutdown: 3, file_perms: { mode: 0o140755, uid: 0, gid: 0 }, mnt_id: 30 } },
    { type: 4, id: 14, isk: { id: 14, ino: 66666, family: 10, type: 1, proto: 6, state: 1, src_port: 8080, dst_port: 40000, flags: 2, backlog: 128, src_addr: [0, 0, 0, 0x01000000], dst_addr: [0, 0, 0xffff0000, 0x0100007f], fown, opts: skOpts, v6only: false, ip_opts: { freebind: true, raw: { hdrincl: false, icmpv_filter: [1, 2] } }, ns_id: 2 } },
    { type: 9, id: 16, sgfd: { id: 16, flags: 0x802, fown, sigmask: (1n << 9n) | (1n << 33n) | (1n << 63n) } },
    { type: 17, id: 17, tfd: { id: 17, flags: 0x802, fown, clockid: 7, ticks: U64_MAX - 2n, settime_flags: 1, vsec: 3599n, vnsec: 999999999n, isec: 0n, insec: 50000000n, amber_clock_ns: 0x7ffffffffffffff0n } },
    { type: 8, id: 30, ify: { id: 30, flags: 0x800, fown, wd: [
      { id: 30, i_ino: 0x20e233n, mask: 0x4000fff, ignored_mask: 0, s_dev: 0xfe00000, wd: 1, f_handle: fh(0x851b41330020e233n, '/tmp/watched') },
      { id: 30, i_ino: 0x1234567890n, mask: 0x80000002, ignored_mask: 0, s_dev: 0x800001, wd: 0x7fffffff, f_handle: fh(U64_MAX) },
    ] } },
    { type: 12, id: 31, ffy: { id: 31, flags: 0x800, fown, faflags: 3, evflags: 0x8000, mark: [
      { id: 31, type: 1, mflags: 0x40, mask: 0xa, ignored_mask: 0x20, s_dev: 0xfe00000, ie: { i_ino: 0x20e240n, f_handle: fh(0x813324402020e240n) } },
      { id: 31, type: 2, mflags: 0, mask: 0x20, ignored_mask: 0, s_dev: 0, me: { mnt_id: 27, path: '/' } },
    ] } },
  ],
  REG_FILES: [regFile],
  FS: [{ cwd_id: 20, root_id: 21, umask: 0o22 }],
  STATS: [{ dump: { freezing_time: 100, frozen_time: 2000, memdump_time: 300, memwrite_time: 400, pages_scanned: 1000n, pages_skipped_parent: 0n, pages_written: 998n, pages_lazy: 0n, page_pipes: 1n, page_pipe_bufs: 2n } }],
  PIPES: [{ id: 3, pipe_id: 123456, flags: 0, fown }],
  PIPES_DATA: [{ pipe_id: 123456, bytes: 5, size: 65536, extra: Buffer.from('hello') }],
  FIFO: [{ id: 4, pipe_id: 123457 }],
  FIFO_DATA: [{ pipe_id: 123457, bytes: 0, extra: Buffer.alloc(0) }],
  EVENTFD_FILE: [{ id: 5, flags: 2, fown, counter: 42n }],
  EVENTPOLL_FILE: [{ id: 6, flags: 2, fown }],
  EVENTPOLL_TFD: [{ id: 6, tfd: 5, events: 0x80000001, data: 0x8000000000000000n }],
  TTY_FILES: [{ id: 1, tty_info_id: 9, flags: 2, fown }],
  TTY_INFO: [{ id: 9, type: 1, locked: false, exclusive: false, packet_mode: false, sid: 3999, pgrp: 4000, rdev: 0x8803, termios: { c_iflag: 0x500, c_oflag: 5, c_cflag: 0xbf, c_lflag: 0x8a3b, c_line: 0, c_ispeed: 15, c_ospeed: 15, c_cc: words(19, 3).map((w) => w & 0xff) }, winsize: { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 }, pty: { index: 3 }, dev: 0x19, uid: 1000, gid: 5 }],
  TTY_DATA: [{ tty_id: 9, data: Buffer.from('typed ahead\n') }],
  EXT_FILES: [{ id: 11, fown }],
  CREDS: [coreLeader.thread_core.creds],
  ITIMERS: [coreLeader.tc.timers.real],
  POSIX_TIMERS: [coreLeader.tc.timers.posix[0]],
  UNIXSK: [{ id: 13, ino: 55555, type: 2, state: 7, flags: 0, uflags: 0, backlog: 0, peer: 0, fown, opts: skOpts, name: Buffer.alloc(0) }],
  INETSK: [{ id: 15, ino: 77777, family: 2, type: 2, proto: 17, state: 7, src_port: 53, dst_port: 0, flags: 0, backlog: 0, src_addr: [0x0100007f], dst_addr: [], fown, opts: skOpts, shutdown: 0 }],
  TCP_STREAM: [{ inq_len: 3, inq_seq: 0xdeadbeef, outq_len: 2, outq_seq: 1, opt_mask: 7, snd_wscale: 7, mss_clamp: 65483, rcv_wscale: 7, timestamp: 123, cork: false, nodelay: true, unsq_len: 1, snd_wl1: 1, snd_wnd: 2, max_window: 3, rcv_wnd: 4, rcv_wup: 5, extra: Buffer.from('inqOQ') }],
  SK_QUEUES: [
    { id_for: 13, length: 5, scm: [], extra: Buffer.from('hello') },
    { id_for: 13, length: 2, addr: Buffer.from('\0abc'), scm: [{ type: 1, rights: [4, 5] }], ucred: { uid: 0, gid: 0, pid: 42 }, extra: Buffer.from('hi') },
  ],
  FILE_LOCKS: [
    { flag: 2, type: 1, pid: 4000, fd: 3, start: 0n, len: 0n },
    { flag: 1, type: 0, pid: 4000, fd: 5, start: 200n, len: 100n },
  ],
  MEMFD_INODE: [{ name: 'amber-memfd', uid: 1000, gid: 1000, size: 8192n, shmid: 3, seals: 0xf, inode_id: 0x1234567890abcdefn, hugetlb_flag: 0, mode: 0o100777 }],
  GHOST_FILE: [
    { uid: 1000, gid: 1000, mode: 0o100640, dev: (8 << 20) | 1, ino: 0x123456789n, atim: { tv_sec: 1700000000n, tv_usec: 123456n }, mtim: { tv_sec: 1700000001n, tv_usec: 0n }, chunks: true, size: 0x6400000n },
    { len: 4096n, off: 0n, extra: Buffer.alloc(4096, 0x5a) },
    { len: 5n, off: 0x63ffffbn, extra: Buffer.from('tail!') },
  ],
  REMAP_FPATH: [{ orig_id: 7, remap_id: 3, remap_type: 1 }, { orig_id: 9, remap_id: 3, remap_type: 1 }],
  RLIMIT: coreLeader.tc.rlimits.rlimits,
  SIGACT: coreLeader.tc.sigactions,
  SECCOMP: [{ seccomp_filters: [{ filter: Buffer.from('0600000000000000', 'hex'), flags: 0 }, { filter: Buffer.from('060000000000ff7f', 'hex'), prev: 0, flags: 1 }] }],
};

/**
 * Samples for Debian's crit (CRIU 3.17), where SAMPLES use fields it does not know (they are
 * dropped by its decoder, so its re-encoding cannot match): sk-queues' addr and ucred, memfd's mode.
 * Those fields are covered by the round-trip tests and the proto-facts check.
 */
export const CRIT_317_SAMPLES: Partial<typeof SAMPLES> = {
  // crit keeps no field it does not know (amber's own timerfd clock reading).
  FILES: SAMPLES.FILES.map((f) => (f.tfd ? { ...f, tfd: Object.fromEntries(Object.entries(f.tfd).filter(([k]) => k !== 'amber_clock_ns')) } : f)),
  MEMFD_INODE: [{ name: 'amber-memfd', uid: 1000, gid: 1000, size: 8192n, shmid: 3, seals: 0xf, inode_id: 0x1234567890abcdefn, hugetlb_flag: 0 }],
  SK_QUEUES: [
    { id_for: 13, length: 5, scm: [], extra: Buffer.from('hello') },
    { id_for: 13, length: 2, scm: [{ type: 1, rights: [4, 5] }], extra: Buffer.from('hi') },
  ],
};
