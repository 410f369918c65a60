/**
 * What amber makes of each criu_opts field, declared once: served, ignored (it changes nothing
 * in amber, and why), or refused (amber cannot do what it asks, and why). A request that sets a
 * refused field is answered with success=false naming the field, before anything is done.
 */
import { RpcError } from '../errors';
import { CG_IGNORE, CG_NONE, CriuOpts, isSet } from './messages';

const EBADRQC = 56; // pycriu prints "Bad options" for it

type Use = { served: true } | { ignored: string } | { refused: string; active?: (v: unknown) => boolean };

const served: Use = { served: true };
const ignored = (why: string): Use => ({ ignored: why });
const refused = (why: string, active?: (v: unknown) => boolean): Use => ({ refused: why, active });

const NO_PAGE_SERVER = 'amber has no page server';
const NO_INCREMENTAL = 'amber has no incremental dumps (pre-dump, parent images, memory tracking)';
const NO_MNTNS = 'amber restores no mount namespace';
const NO_CGROUPS = 'amber neither dumps nor restores cgroups';
const NO_NS = 'amber restores no namespaces';
const NO_TLS = 'amber has no page server, so no TLS for it';

export const OPTION_USE: Record<string, Use> = {
  images_dir_fd: served, images_dir: served, pid: served, leave_running: served, ext_unix_sk: served,
  tcp_established: served, shell_job: served, file_locks: served, log_level: served, log_file: served,
  notify_scripts: served, work_dir_fd: served, link_remap: served, rst_sibling: served, inherit_fd: served,
  ghost_limit: served, external: served, tcp_skip_in_flight: served, tcp_close: served, network_lock: served,
  log_to_stderr: served, leave_stopped: served, timeout: served, status_fd: served,
  evasive_devices: refused('amber opens device files only as the images name them (no evasive devices)'),
  ps: refused(NO_PAGE_SERVER),
  root: refused('amber restores no root directory change (--root)'),
  parent_img: refused(NO_INCREMENTAL),
  track_mem: refused(NO_INCREMENTAL),
  auto_dedup: refused(NO_INCREMENTAL),
  veths: refused(NO_NS),
  cpu_cap: ignored('amber writes no cpuinfo image: dump and restore run on the same machine kind'),
  force_irmap: refused('amber does not resolve inotify watches by scanning paths (irmap)'),
  exec_cmd: refused('amber does not run a command after restore (exec_cmd)'),
  ext_mnt: refused(NO_MNTNS),
  manage_cgroups: refused(NO_CGROUPS),
  cg_root: refused(NO_CGROUPS),
  auto_ext_mnt: refused(NO_MNTNS),
  ext_sharing: refused(NO_MNTNS),
  ext_masters: refused(NO_MNTNS),
  skip_mnt: refused(NO_MNTNS),
  enable_fs: refused(NO_MNTNS),
  unix_sk_ino: refused('amber takes external unix sockets by ext_unix_sk, not by inode list'),
  manage_cgroups_mode: refused(NO_CGROUPS, (v) => v !== CG_IGNORE && v !== CG_NONE),
  irmap_scan_paths: refused('amber does not resolve inotify watches by scanning paths (irmap)'),
  empty_ns: refused(NO_NS),
  join_ns: refused(NO_NS),
  cgroup_props: refused(NO_CGROUPS),
  cgroup_props_file: refused(NO_CGROUPS),
  cgroup_dump_controller: refused(NO_CGROUPS),
  freeze_cgroup: refused('amber freezes with ptrace, not with a freezer cgroup'),
  weak_sysctls: ignored('amber restores no sysctls'),
  lazy_pages: refused('amber has no lazy pages (userfaultfd restore)'),
  orphan_pts_master: refused('amber does not hand a pty master to the client (orphan_pts_master)'),
  config_file: refused('amber reads no configuration file over RPC'),
  lsm_profile: refused('amber sets no LSM profile'),
  lsm_mount_context: refused('amber sets no LSM mount context'),
  tls_cacert: refused(NO_TLS), tls_cacrl: refused(NO_TLS), tls_cert: refused(NO_TLS), tls_key: refused(NO_TLS),
  tls: refused(NO_TLS), tls_no_cn_verify: refused(NO_TLS),
  cgroup_yard: refused(NO_CGROUPS),
  pre_dump_mode: ignored('only pre-dumps read it, and amber has none'),
  pidfd_store_sk: refused('amber keeps no pidfd store between pre-dumps'),
  mntns_compat_mode: ignored(NO_MNTNS),
  skip_file_rwx_check: ignored('amber does not check file rwx modes at restore'),
  unprivileged: refused('amber runs as root only'),
  display_stats: ignored('amber writes stats-dump and stats-restore; the client reads them'),
  allow_uprobes: ignored('amber does not refuse uprobes mappings'),
  ghost_fiemap: ignored('amber copies ghost file data as is'),
  file_validation_method: ignored('amber checks reopened files by size and mode'),
};

/** Set to something that asks for work: true, a non-empty list or string, any number. */
function asksForSomething(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.length > 0;
  return v !== undefined && v !== null;
}

/** What the client set that amber ignores, as lines for the log; throws on what it refuses. */
export function checkOptions(request: string, o: CriuOpts): string[] {
  const notes: string[] = [];
  const refusals: string[] = [];
  for (const [field, use] of Object.entries(OPTION_USE)) {
    if (!isSet(o, field)) continue;
    const v = o[field];
    if ('refused' in use) {
      if ((use.active ?? asksForSomething)(v)) refusals.push(`${field} (${use.refused})`);
    } else if ('ignored' in use && asksForSomething(v)) {
      notes.push(`${field} ignored: ${use.ignored}`);
    }
  }
  if (refusals.length) throw new RpcError(request, `amber cannot serve ${refusals.join('; ')}`, EBADRQC);
  return notes;
}
