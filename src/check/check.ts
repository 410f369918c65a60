/**
 * amber check: probes this kernel for what dump and restore need, and answers CRIU's feature names
 * (`criu check --feature NAME`) with CRIU's exit codes, every answer from a probe that runs (a
 * syscall that must succeed or fail in a given way, a /proc row, a socket option taken...), never
 * from the kernel version. The probes are in probes-*.ts; docs/check.md lists them all.
 *
 * Groups, as CRIU's: plain `check` runs the base group (what amber's dump and restore require:
 * "Looks good." and 0, or what is missing and 1); --extra adds the extra group, --experimental the
 * experimental one (--all: both); a missing extra/experimental feature prints CRIU's "Looks good
 * but some kernel features are missing..." and exits 1. Some names are only answered by --feature.
 */
import * as mem from './probes-mem';
import * as net from './probes-net';
import * as fsp from './probes-fs';
import * as task from './probes-task';
import { Probe, runProbe } from './sys';

export type Group = 'base' | 'extra' | 'experimental' | 'feature';

export interface Feature {
  name: string;
  what: string;
  /** base: required by plain check; extra/experimental: with those flags; feature: --feature only. */
  group: Group;
  probe: Probe;
  /** A base feature that only some trees need: missing, it warns instead of failing. */
  optional?: boolean;
  /** A name of CRIU 4.2's `check --feature` list (else one of amber's own). */
  criu?: boolean;
}

const f = (name: string, group: Group, what: string, probe: Probe, more: Partial<Feature> = {}): Feature => ({ name, group, what, probe, ...more });
const criu = { criu: true } as const;

/** Every feature amber answers, CRIU's names and amber's own. */
export const FEATURES: Feature[] = [
  // What amber's dump and restore need on every tree.
  f('capabilities', 'base', 'CAP_SYS_PTRACE and CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE', task.probeCapabilities),
  f('ptrace', 'base', 'ptrace: PTRACE_SEIZE, PTRACE_INTERRUPT, GETREGSET (registers, xsave), GETSIGMASK, PEEKSIGINFO', task.probePtrace),
  f('pidfd_getfd', 'base', 'pidfd_open and pidfd_getfd (taking a task\'s fds)', task.probePidfdGetfd),
  f('map_files', 'base', '/proc/PID/map_files (CONFIG_CHECKPOINT_RESTORE)', mem.probeMapFiles),
  f('pagemap', 'base', '/proc/PID/pagemap with present and exclusive bits', mem.probePagemap),
  f('memory_read', 'base', 'process_vm_readv and /proc/PID/mem', mem.probeMemoryRead),
  f('prctl_mm_map', 'base', 'prctl(PR_SET_MM, PR_SET_MM_MAP)', task.probePrctlMmMap),
  f('kcmp', 'base', 'kcmp(KCMP_FILE)', task.probeKcmp),
  f('fdinfo_ext', 'base', 'fdinfo of eventfd, epoll, signalfd and inotify files', fsp.probeFdinfoExt),
  f('clone3_set_tid', 'base', 'clone3() with set_tid (restoring PIDs)', task.probeClone3SetTid, criu),
  f('get_rseq_conf', 'base', 'PTRACE_GET_RSEQ_CONFIGURATION (without it, before 5.13, amber asks each thread where its rseq area is: glibc\'s, or none)', task.probeGetRseqConf, { ...criu, optional: true }),
  f('timer_cr_ids', 'base', 'PR_TIMER_CREATE_RESTORE_IDS (restoring POSIX timers with their ids)', task.probeTimerCrIds, { ...criu, optional: true }),

  // CRIU's extra group.
  f('seccomp_suspend', 'extra', 'PTRACE_O_SUSPEND_SECCOMP', task.probeSeccompSuspend, criu),
  f('seccomp_filters', 'extra', 'PTRACE_SECCOMP_GET_FILTER', task.probeSeccompFilters, criu),
  f('mem_dirty_track', 'extra', 'soft-dirty memory tracking (pre-dump, --track-mem)', mem.probeSoftDirty, criu),
  f('tun', 'extra', 'tun devices C/R (TUNSETIFINDEX)', net.probeTun, criu),
  f('timerfd', 'extra', 'timerfd C/R (TFD_IOC_SET_TICKS, fdinfo)', fsp.probeTimerfd, criu),
  f('mnt_id', 'extra', 'mnt_id in fdinfo', fsp.probeMntId, criu),
  f('aio_remap', 'extra', 'AIO rings that follow mremap', mem.probeAioRemap, criu),
  f('fdinfo_lock', 'extra', 'file locks in fdinfo', fsp.probeFdinfoLock, criu),
  f('cgroupns', 'extra', 'cgroup namespaces', task.probeCgroupns, criu),
  f('tcp_half_closed', 'extra', 'TCP repair of half-closed connections', net.probeTcpHalfClosed, criu),
  f('userns', 'extra', 'user namespaces with PR_SET_MM_MAP', task.probeUserns, criu),
  f('loginuid', 'extra', 'setting /proc/PID/loginuid (CONFIG_AUDITSYSCALL)', task.probeLoginuid, criu),
  f('can_map_vdso', 'extra', 'mapping a vDSO on request (ARCH_MAP_VDSO_64)', task.probeCanMapVdso, criu),
  f('uffd', 'extra', 'userfaultfd', mem.probeUffd, criu),
  f('uffd-noncoop', 'extra', 'non-cooperative userfaultfd (fork/remap/remove/unmap events)', mem.probeUffdNoncoop, criu),
  f('sk_ns', 'extra', 'SIOCGSKNS (a socket\'s network namespace)', net.probeSkNs, criu),
  f('kcmp_epoll', 'extra', 'kcmp(KCMP_EPOLL_TFD)', task.probeKcmpEpoll, criu),
  f('net_diag_raw', 'extra', 'sock_diag of raw sockets (CONFIG_INET_RAW_DIAG)', net.probeNetDiagRaw, criu),
  f('timens', 'extra', 'time namespaces', task.probeTimens, criu),
  f('newifindex', 'extra', 'IFLA_NEW_IFINDEX (a chosen ifindex for a device moved to a namespace)', net.probeNewIfindex, criu),
  f('pidfd_store', 'extra', 'pidfd_open and pidfd_getfd (CRIU\'s pidfd store)', task.probePidfdGetfd, criu),
  f('ns_pid', 'extra', 'NSpid in /proc/PID/status', task.probeNsPid, criu),
  f('network_lock_nftables', 'extra', 'locking the network with nftables (sets of concatenated keys)', net.probeNetworkLockNftables, criu),
  f('sockopt_buf_lock', 'extra', 'SO_BUF_LOCK', net.probeSockoptBufLock, criu),
  f('memfd_hugetlb', 'extra', 'memfd_create(MFD_HUGETLB)', mem.probeMemfdHugetlb, criu),
  f('move_mount_set_group', 'extra', 'move_mount(MOVE_MOUNT_SET_GROUP)', fsp.probeMoveMountSetGroup, criu),
  f('openat2', 'extra', 'openat2() with resolve flags', fsp.probeOpenat2, criu),
  f('ipv6_freebind', 'extra', 'IPV6_FREEBIND', net.probeIpv6Freebind, criu),
  f('pagemap_scan', 'extra', 'the PAGEMAP_SCAN ioctl', mem.probePagemapScan, criu),
  f('pagemap_scan_guard_pages', 'extra', 'PAGEMAP_SCAN reporting guard pages (PAGE_IS_GUARD)', mem.probePagemapScanGuard, criu),
  f('breakpoints', 'extra', 'hardware breakpoints through ptrace (debug registers)', task.probeBreakpoints, criu),
  f('dirty_track_uffd_wp', 'extra', 'dirty tracking by userfaultfd WP_ASYNC and PAGEMAP_SCAN (amber\'s incremental dumps without soft-dirty)', mem.probeUffdWpDirtyTrack),

  // CRIU's experimental group.
  f('autofs', 'experimental', 'autofs mounts with pipe_ino', fsp.probeAutofs, criu),
  f('compat_cr', 'experimental', 'C/R of 32-bit tasks (IA32 syscalls, ARCH_MAP_VDSO_32)', task.probeCompatCr, criu),

  // Answered by --feature only.
  f('tun_ns', 'feature', 'SIOCGSKNS on a tun file', net.probeTunNs, criu),
  f('sk_unix_file', 'feature', 'SIOCUNIXFILE (a unix socket\'s file)', net.probeSkUnixFile, criu),
  f('nsid', 'feature', 'network namespace ids (RTM_GETNSID)', net.probeNsid, criu),
  f('link_nsid', 'feature', 'IFLA_LINK_NETNSID of veth peers in other namespaces', net.probeLinkNsid, criu),
  f('external_net_ns', 'feature', 'veth peers in namespaces outside the tree (link_nsid and newifindex)', net.probeExternalNetNs, criu),
  f('nftables', 'feature', 'nf_tables in the kernel and the nft tool', net.probeNftables, criu),
  f('has_ipt_legacy', 'feature', 'an iptables of the legacy (x_tables) kind', net.probeIptLegacy, criu),
  f('apparmor_stacking', 'feature', 'AppArmor namespaces with stacking', fsp.probeApparmorStacking, criu),
  f('overlayfs_maps', 'feature', 'overlayfs files named by the overlay in /proc/PID/maps', fsp.probeOverlayfsMaps, criu),
];

/** Old names kept answering: pidfd (pidfd_getfd), rseq (get_rseq_conf), timer_restore_ids (timer_cr_ids). */
const ALIASES: Record<string, string> = { pidfd: 'pidfd_getfd', rseq: 'get_rseq_conf', timer_restore_ids: 'timer_cr_ids' };

/** Features of amber itself (not of the kernel) that test runners ask about; false until built. */
export const ENGINE_FEATURES: Record<string, boolean> = {
  threads: true,
  'process-tree': true,
  'pre-dump': false,
  'lazy-pages': false,
  namespaces: false,
};

export function findFeature(name: string): Feature | undefined {
  const n = ALIASES[name] ?? name;
  return FEATURES.find((x) => x.name === n);
}

export interface CheckOptions {
  /** One feature only: its exit code answers. */
  feature?: string;
  /** Add the extra group (CRIU's --extra; --all sets this and experimental). */
  extra?: boolean;
  /** Add the experimental group (CRIU's --experimental). */
  experimental?: boolean;
}

export interface Finding { feature: Feature; reason: string }

/** Runs the probes of the groups asked for: what is missing (fails) and what only warns. */
export function probeGroups(opts: { extra?: boolean; experimental?: boolean } = {}): { missing: Finding[]; warnings: Finding[]; extraMissing: Finding[] } {
  const missing: Finding[] = [], warnings: Finding[] = [], extraMissing: Finding[] = [];
  for (const feature of FEATURES) {
    const on = feature.group === 'base' || (feature.group === 'extra' && opts.extra) || (feature.group === 'experimental' && opts.experimental);
    if (!on) continue;
    const reason = runProbe(feature.probe);
    if (reason === undefined) continue;
    if (feature.group !== 'base') extraMissing.push({ feature, reason });
    else (feature.optional ? warnings : missing).push({ feature, reason });
  }
  return { missing, warnings, extraMissing };
}

/** What plain `amber check` finds, without printing: required features missing, optional ones absent. */
export function checkAll(): { missing: Feature[]; warnings: Feature[] } {
  const r = probeGroups();
  return { missing: r.missing.map((x) => x.feature), warnings: r.warnings.map((x) => x.feature) };
}

/** Whether a named feature (of amber itself or of the kernel) is there; undefined: no such feature. */
export function hasFeature(name: string): boolean | undefined {
  if (name in ENGINE_FEATURES) return ENGINE_FEATURES[name];
  const feature = findFeature(name);
  return feature ? runProbe(feature.probe) === undefined : undefined;
}

const LOOKS_GOOD_BUT = 'Looks good but some kernel features are missing\nwhich, depending on your process tree, may cause\ndump or restore failure.';

/**
 * The check command. Messages: "NAME is supported" (stdout) or why not (stderr) for one feature;
 * "Unknown feature NAME" and 1 for a name neither CRIU nor amber knows, as CRIU.
 */
export function runCheck(options: CheckOptions | string | undefined = {}): number {
  const opts: CheckOptions = typeof options === 'string' ? { feature: options } : options ?? {};
  if (opts.feature !== undefined) {
    const name = opts.feature;
    if (name in ENGINE_FEATURES) {
      if (ENGINE_FEATURES[name]) console.log(`${name} is supported`);
      else process.stderr.write(`Warn  (check): amber has no ${name} yet\n`);
      return ENGINE_FEATURES[name] ? 0 : 1;
    }
    const feature = findFeature(name);
    if (!feature) {
      process.stderr.write(`Error (check): Unknown feature ${name}\n`);
      return 1;
    }
    const reason = runProbe(feature.probe);
    if (reason === undefined) {
      console.log(`${name} is supported`);
      return 0;
    }
    process.stderr.write(`Warn  (check): ${feature.what}: ${reason}\n`);
    return 1;
  }
  const { missing, warnings, extraMissing } = probeGroups(opts);
  for (const m of missing) process.stderr.write(`Error (check): missing ${m.feature.what}: ${m.reason}\n`);
  for (const w of warnings) process.stderr.write(`Warn  (check): missing ${w.feature.what}: ${w.reason}\n`);
  for (const w of extraMissing) process.stderr.write(`Warn  (check): missing ${w.feature.what}: ${w.reason}\n`);
  if (missing.length > 0) return 1;
  if (extraMissing.length > 0) {
    console.log(LOOKS_GOOD_BUT);
    return 1;
  }
  console.log('Looks good.');
  return 0;
}
