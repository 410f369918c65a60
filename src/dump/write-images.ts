/** Images of a dumped tree, in CRIU's layout: one set per process, core per thread, shared files.img. */
import * as fs from 'node:fs';
import * as img from '../images';
import { decodeXsave } from '../arch/x86_64/xsave';
import { credsFromStatus } from './creds';
import { ProcessDump, ThreadDump } from './process-dump';
import { FrozenProcess, TASK_STATE_CODE } from '../pstree/freeze';
import { NO_FOWN } from '../files/types';
import { affinityFromStatus } from '../task/thread-cpu';
import { imageRegs } from '../compel';
import { VMA } from '../mem/vma';

const O_DIRECTORY = 0o200000;

function regFile(id: number, name: string, flags: number): img.Entry {
  return { type: 1, id, reg: { id, flags, pos: 0n, fown: NO_FOWN, name } };
}

/** The memfd_file_entry a memfd mapping refers to (as CRIU: the VMA's shmid is its id). */
function memfdFile(id: number, inodeId: number, flags: number): img.Entry {
  return { type: 18, id, memfd: { id, flags, pos: 0n, fown: NO_FOWN, inode_id: inodeId } };
}

/**
 * The auxiliary vector as CRIU keeps it: its pairs without the AT_NULL terminator (the kernel
 * terminates what PR_SET_MM_MAP gives it). CRIU's restore refuses more than 44 words (its
 * AT_VECTOR_SIZE), which a vector of up to 22 entries fits.
 */
function auxvWords(auxv: bigint[]): bigint[] {
  let n = auxv.length - (auxv.length % 2);
  while (n >= 2 && auxv[n - 2] === 0n) n -= 2;
  return auxv.slice(0, n);
}

/**
 * The kernel's special areas as CRIU describes them: the vvar pages ([vvar] and, on 6.13+
 * kernels, [vvar_vclock] right after it) as one VVAR area, and the vvar, vDSO and vsyscall areas
 * marked ANON_PRIVATE too. CRIU's restore finds the vDSO by that layout (with two VVAR areas it
 * takes the wrong one for the vDSO).
 */
function imageVmas(entries: img.Entry[]): img.Entry[] {
  const out: img.Entry[] = [];
  for (const e of entries) {
    const special = e.status & (VMA.AREA_VVAR | VMA.AREA_VDSO | VMA.AREA_VSYSCALL);
    const v = special ? { ...e, status: e.status | VMA.ANON_PRIVATE } : e;
    const prev = out[out.length - 1];
    if (prev && v.status & VMA.AREA_VVAR && prev.status & VMA.AREA_VVAR && prev.end === v.start && prev.prot === v.prot) {
      out[out.length - 1] = { ...prev, end: v.end };
      continue;
    }
    out.push(v);
  }
  return out;
}

function threadCore(t: ThreadDump): img.Entry {
  return {
    futex_rla: t.attrs.futexRla, futex_rla_len: t.attrs.futexRlaLen,
    sched_nice: t.stat.nice, sched_policy: t.schedPolicy, sched_prio: t.stat.rtPriority,
    blk_sigset: t.sigmask,
    sas: { ...t.attrs.sas, ss_flags: t.attrs.sas.ss_flags >>> 0 },
    pdeath_sig: t.attrs.pdeathSig,
    signals_p: { signals: t.sigPrivate.map((siginfo) => ({ siginfo })) },
    creds: credsFromStatus(t.status, t.secbits),
    comm: t.stat.comm,
    rseq_entry: t.rseq,
    seccomp_mode: t.seccompMode,
    seccomp_filter: t.seccompFilter,
    cpu_affinity: affinityFromStatus(t.status),
    spec_ctrl: t.specCtrl,
    timerslack_ns: BigInt(t.prctls.timerslack), tsc_mode: t.prctls.tsc, mce_kill: t.prctls.mceKill, io_flusher: t.prctls.ioFlusher,
  };
}

function threadInfo(t: ThreadDump, sharedPending: boolean): img.Entry {
  // The registers the thread resumes with, and (amber's own fields) those of the stop, when they differ.
  const regs = imageRegs(t.regs, sharedPending || t.sigPrivate.length > 0);
  const stopped = regs.ax !== t.regs.ax || regs.ip !== t.regs.ip ? { stopped_ax: t.regs.ax, stopped_ip: t.regs.ip } : {};
  return { clear_tid_addr: t.attrs.clearTidAddr, gpregs: { ...regs, mode: 1, ...stopped }, fpregs: decodeXsave(t.xstate) };
}

export interface TreeImages {
  files: img.Entry[];
  pstree: img.Entry[];
  /** files_id of the fd tables whose fdinfo image is written already (a table shared by several processes has one). */
  fdTables?: Set<number>;
}

/** Writes one live (or stopped) process's images; its files.img entries go to `tree.files`. */
/** `ids`: its task_kobj_ids_entry (kobj-ids.ts): equal ids with another task mean a shared object. */
export function writeProcessImages(dir: string, d: ProcessDump, ids: img.Entry, newId: () => number, tree: TreeImages): void {
  const { pid } = d.proc;
  const { snap } = d;
  const st = snap.stat;
  tree.files.push(...d.fdTable.files);
  const cwdId = d.cwdFile?.id ?? newId();
  tree.files.push(regFile(cwdId, d.cwdFile?.name ?? snap.cwd, O_DIRECTORY));
  const rootId = newId();
  tree.files.push(regFile(rootId, snap.root, O_DIRECTORY));
  const exeId = newId();
  tree.files.push(regFile(exeId, snap.exe, 0));
  const mapped = new Map<string, number>();
  for (const v of d.vmas) {
    if (!v.path) continue;
    if (v.ghostFile) {
      // A mapped unlinked file: its own file id, opened through its ghost (remap-fpath.img).
      tree.files.push(regFile(v.ghostFile.id, v.ghostFile.name, v.entry.fdflags ?? 0));
      v.entry.shmid = BigInt(v.ghostFile.id);
      continue;
    }
    // memfds are told apart by inode: several may bear one name.
    const key = `${v.memfdInode !== undefined ? `memfd ${v.memfdInode}` : v.path}\0${v.entry.fdflags ?? 0}`;
    let id = mapped.get(key);
    if (id === undefined) {
      id = newId();
      mapped.set(key, id);
      const file = v.memfdInode !== undefined ? memfdFile(id, v.memfdInode, v.entry.fdflags ?? 0) : regFile(id, v.path, v.entry.fdflags ?? 0);
      // Checked at restore: the path must still name a file of this size and mode.
      if (v.fileStat) Object.assign(file.reg, { size: v.fileStat.size, mode: v.fileStat.mode });
      tree.files.push(file);
    }
    v.entry.shmid = BigInt(id);
  }

  d.threads.forEach((t, i) => {
    const core: img.Entry = { mtype: 1, thread_info: threadInfo(t, d.sigShared.length > 0), thread_core: threadCore(t) };
    if (i === 0) {
      core.tc = {
        task_state: TASK_STATE_CODE[d.proc.state], exit_code: 0, personality: snap.personality, flags: st.flags,
        stop_report: d.proc.stopReport,
        blk_sigset: t.sigmask, comm: st.comm,
        timers: { ...d.itimers, posix: d.posixTimers },
        rlimits: { rlimits: d.rlimits },
        signals_s: { signals: d.sigShared.map((siginfo) => ({ siginfo })) },
        oom_score_adj: snap.oomScoreAdj,
        sigactions: d.sigactions,
        child_subreaper: d.attrs.childSubreaper,
      };
    }
    img.writeImage(dir, img.coreImg(t.tid), 'CORE', [core]);
  });
  img.writeImage(dir, img.idsImg(pid), 'IDS', [ids]);
  img.writeImage(dir, img.mmImg(pid), 'MM', [{
    mm_start_code: st.startCode, mm_end_code: st.endCode, mm_start_data: st.startData, mm_end_data: st.endData,
    mm_start_stack: st.startStack, mm_start_brk: st.startBrk, mm_brk: d.attrs.brk,
    mm_arg_start: st.argStart, mm_arg_end: st.argEnd, mm_env_start: st.envStart, mm_env_end: st.envEnd,
    exe_file_id: exeId, mm_saved_auxv: auxvWords(snap.auxv),
    vmas: imageVmas(d.vmas.map((v) => v.entry)),
    dumpable: d.attrs.dumpable, thp_disabled: d.attrs.thpDisabled, mlockall_future: d.attrs.mlockFuture || undefined,
    mdwe: d.mmPrctls.mdwe || undefined, memory_merge: d.mmPrctls.memoryMerge || undefined,
    membarrier_registrations: d.membarrier || undefined,
  }]);
  img.writeImage(dir, img.pagemapImg(pid), 'PAGEMAP', [{ pages_id: d.pagesId }, ...d.pages.entries]);
  // fdinfo images are named by files_id (inventory fdinfo_per_id): one per table, whoever shares it.
  tree.fdTables ??= new Set();
  if (!tree.fdTables.has(ids.files_id)) img.writeImage(dir, img.fdinfoImg(ids.files_id), 'FDINFO', d.fdTable.fdinfo);
  tree.fdTables.add(ids.files_id);
  img.writeImage(dir, img.fsImg(pid), 'FS', [{ cwd_id: cwdId, root_id: rootId, umask: Number.parseInt(snap.status.get('Umask') ?? '22', 8) }]);
  tree.pstree.push({ pid, ppid: d.proc.ppid, pgid: st.pgrp, sid: st.session, threads: d.threads.map((t) => t.tid) });
}

/** A zombie: its pstree entry and a core with its exit code, nothing else. */
export function writeZombieImages(dir: string, p: FrozenProcess, tree: TreeImages): void {
  img.writeImage(dir, img.coreImg(p.pid), 'CORE', [{
    mtype: 1,
    tc: { task_state: TASK_STATE_CODE.zombie, exit_code: p.exitCode ?? 0, personality: 0, flags: 0, blk_sigset: 0n, comm: p.comm },
  }]);
  tree.pstree.push({ pid: p.pid, ppid: p.ppid, pgid: p.pgid, sid: p.sid, threads: [p.pid] });
}

/** `rootIds`: the dumper's own task_kobj_ids_entry (kobj-ids.ts), not the root task's. */
export function writeTreeImages(dir: string, rootIds: img.Entry, tree: TreeImages): void {
  img.writeImage(dir, img.INVENTORY_IMG, 'INVENTORY', [{
    img_version: img.IMAGES_V1_1, fdinfo_per_id: true, root_ids: rootIds, ns_per_id: true, lsmtype: 0,
    dump_uptime: BigInt(Math.round(Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1e6)),
  }]);
  img.writeImage(dir, img.PSTREE_IMG, 'PSTREE', tree.pstree);
  img.writeImage(dir, img.FILES_IMG, 'FILES', tree.files);
}
