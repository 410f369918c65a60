/**
 * Interoperability with CRIU's own image tool: Debian's crit (criu 3.17)
 * must read what amber writes, and amber must read what crit writes.
 * Skipped when /usr/bin/crit is not installed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Entry,
  type ImageKindName,
  IMAGE_KINDS,
  IMAGE_KIND_NAMES,
  decodeImage,
  encodeImage,
  readImage,
  writeImage,
  coreImg,
  fdinfoImg,
  fsImg,
  idsImg,
  mmImg,
  pagemapImg,
  PIPES_DATA_IMG,
} from '../../src/images';
import { messageType } from '../../src/images/schema';
import { CRIT_317_SAMPLES, SAMPLES, U64_MAX, coreLeader, mm, xsave } from './samples';

const CRIT = '/usr/bin/crit';
const skipReason = fs.existsSync(CRIT) ? undefined : `${CRIT} not installed (apt-get install criu)`;
const title = (name: string): string => (skipReason ? `${name} [skipped: ${skipReason}]` : name);

// crit prints 64-bit values as bare JSON numbers; keep the long ones exact by quoting them before parsing.
function parseCritJson(text: string): { magic: string; entries: any[] } {
  return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
}

function crit(args: string[]): string {
  const run = spawnSync(CRIT, args, { encoding: 'utf8' });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`crit ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  return run.stdout;
}

const critDecode = (file: string, pretty = false) => parseCritJson(crit(['decode', '-i', file, ...(pretty ? ['--pretty'] : [])]));

/** Quoted-printable, which crit uses for unix socket names. */
function unquotePrintable(s: string): Buffer {
  const soft = s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      out.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(soft.charCodeAt(i));
  }
  return Buffer.from(out);
}

const LONGS = new Set(['uint64', 'int64', 'sint64', 'fixed64', 'sfixed64']);

/** crit's (non-pretty) JSON of one message -> amber's Entry form, using amber's reflection. */
function fromCrit(type: protobuf.Type, obj: Record<string, unknown>): Entry {
  const out: Entry = {};
  for (const [key, v] of Object.entries(obj)) {
    const field = type.fields[key];
    if (!field) throw new Error(`crit printed ${type.name}.${key}, which amber does not declare`);
    const one = (x: unknown): unknown => {
      if (field.resolvedType instanceof protobuf.Type) return fromCrit(field.resolvedType, x as Record<string, unknown>);
      if (field.resolvedType instanceof protobuf.Enum) return field.resolvedType.values[x as string];
      if (LONGS.has(field.type)) return BigInt(x as string | number);
      if (field.type === 'bytes') return type.name === 'unix_sk_entry' && key === 'name' ? unquotePrintable(x as string) : Buffer.from(x as string, 'base64');
      return x;
    };
    out[key] = field.repeated ? (v as unknown[]).map(one) : one(v);
  }
  return out;
}

function critEntries(kind: ImageKindName, entries: any[]): Entry[] {
  const k = IMAGE_KINDS[kind] as { message: string; head?: string };
  return entries.map((raw, i) => {
    const { extra, ...fields } = raw;
    const e = fromCrit(messageType(i === 0 && k.head ? k.head : k.message), fields);
    if (kind === 'TCP_STREAM') e.extra = Buffer.concat([Buffer.from(extra.inq, 'base64'), Buffer.from(extra.outq, 'base64')]);
    else if (extra !== undefined) e.extra = Buffer.from(extra, 'base64');
    return e;
  });
}

/** crit leaves empty repeated fields out; amber decodes them as []. */
function withoutEmptyArrays(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutEmptyArrays);
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => !(Array.isArray(x) && x.length === 0)).map(([k, x]) => [k, withoutEmptyArrays(x)]));
  }
  return v;
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-crit-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skipReason !== undefined)('crit reads what amber writes', () => {
  it(title('decodes a dump directory with --pretty'), () => {
    const pid = 4000;
    writeImage(dir, 'inventory.img', 'INVENTORY', SAMPLES.INVENTORY);
    writeImage(dir, coreImg(pid), 'CORE', [coreLeader]);
    writeImage(dir, mmImg(pid), 'MM', [mm]);
    writeImage(dir, pagemapImg(pid), 'PAGEMAP', SAMPLES.PAGEMAP);
    writeImage(dir, 'pstree.img', 'PSTREE', SAMPLES.PSTREE);
    writeImage(dir, idsImg(pid), 'IDS', SAMPLES.IDS);
    writeImage(dir, fdinfoImg(2), 'FDINFO', SAMPLES.FDINFO);
    writeImage(dir, 'files.img', 'FILES', SAMPLES.FILES);
    writeImage(dir, fsImg(pid), 'FS', SAMPLES.FS);
    writeImage(dir, 'stats-dump.img', 'STATS', SAMPLES.STATS);
    const at = (f: string) => critDecode(path.join(dir, f), true);

    const inv = at('inventory.img');
    expect(inv.magic).toBe('INVENTORY');
    expect(inv.entries[0]).toMatchObject({ img_version: 2, fdinfo_per_id: true, lsmtype: 'NO_LSM', root_ids: { vm_id: 1, files_id: 2, time_ns_id: 12 } });
    expect(BigInt(inv.entries[0].dump_uptime)).toBe(123456789012345678n);

    const [core] = at(coreImg(pid)).entries;
    expect(core.mtype).toBe('X86_64');
    expect(core.thread_info.clear_tid_addr).toBe('0x7f1d2e5f6a10');
    expect(core.thread_info.gpregs).toMatchObject({ ax: '0xfffffffffffffe00', ip: '0x7f1d2e3f4a5b', orig_ax: '0xe6', cs: '0x33' });
    expect(core.thread_info.fpregs).toMatchObject({ cwd: 0x37f, mxcsr: 0x1f80, st_space: coreLeader.thread_info.fpregs.st_space, xmm_space: coreLeader.thread_info.fpregs.xmm_space });
    expect(core.thread_info.fpregs.xsave.ymmh_space).toEqual(xsave.ymmh_space);
    expect(core.thread_info.fpregs.xsave.hi16_zmm.map(BigInt)).toEqual(xsave.hi16_zmm);
    expect(core.thread_info.fpregs.xsave.pkru).toEqual([0x55555554]);
    expect(core.thread_info.tls[0]).toMatchObject({ entry_number: 12, limit: 0xfffff, seg_32bit: true, usable: true });
    expect(core.tc).toMatchObject({ task_state: 'Alive', comm: 'amber-test', blk_sigset: '0x10000', oom_score_adj: -1000 });
    expect(BigInt(core.tc.rlimits.rlimits[0].max)).toBe(U64_MAX);
    expect(core.tc.sigactions[0].sigaction).toBe('0x55d0c0ffee00');
    expect(core.thread_core).toMatchObject({ futex_rla_len: 24, sched_nice: -5, seccomp_mode: 'disabled', creds: { uid: 1000, groups: [1000, 27] } });
    expect(core.ids).toMatchObject({ vm_id: 1, sighand_id: 4 });

    const [m] = at(mmImg(pid)).entries;
    expect(m.mm_start_code).toBe('0x55d0c0000000');
    expect(m.exe_file_id).toBe(7);
    expect(m.vmas).toHaveLength(3);
    expect(m.vmas[0]).toMatchObject({ start: '0x55d0c0000000', end: '0x55d0c0001000', prot: 'PROT_READ | PROT_EXEC', flags: 'MAP_PRIVATE', fd: -1 });
    expect(m.vmas[2].start).toBe('0xffffffffff600000');

    const pm = at(pagemapImg(pid)).entries;
    expect(pm[0]).toEqual({ pages_id: 1 });
    expect(pm[1]).toMatchObject({ vaddr: '0x55d0c1000000', nr_pages: 33 });
    expect(pm).toHaveLength(3);

    expect(at('pstree.img').entries).toEqual(SAMPLES.PSTREE);
    expect(at(idsImg(pid)).entries).toEqual(SAMPLES.IDS);
    expect(at(fdinfoImg(2)).entries.map((e: any) => [e.fd, e.type])).toEqual([[0, 'TTY'], [3, 'REG'], [4, 'PIPE']]);
    const files = at('files.img').entries;
    expect(files[0]).toMatchObject({ type: 'REG', id: 7, reg: { name: '/usr/bin/amber-test', mnt_id: 25, size: 0x100000001 } });
    expect(files.map((f: any) => f.type)).toEqual(['REG', 'PIPE', 'FIFO', 'EVENTFD', 'EVENTPOLL', 'TTY', 'EXT', 'MEMFD', 'UNIXSK', 'INETSK', 'SIGNALFD', 'TIMERFD', 'INOTIFY', 'FANOTIFY']);
    expect(at(fsImg(pid)).entries).toEqual([{ cwd_id: 20, root_id: 21, umask: 0o22 }]);
    const stats = at('stats-dump.img');
    expect(stats.magic).toBe('STATS');
    expect(stats.entries[0].dump).toMatchObject({ frozen_time: 2000, pages_written: 998 });
  });

  for (const kind of IMAGE_KIND_NAMES) {
    it(title(`${kind}: crit decodes every field to amber's value, and re-encodes the same bytes`), () => {
      const file = path.join(dir, `${kind.toLowerCase()}.img`);
      writeImage(dir, path.basename(file), kind, CRIT_317_SAMPLES[kind] ?? SAMPLES[kind]);
      const text = crit(['decode', '-i', file]);
      const json = parseCritJson(text);
      expect(json.magic).toBe(kind);
      expect(critEntries(kind, json.entries)).toEqual(withoutEmptyArrays(decodeImage(kind, fs.readFileSync(file))));
      const jsonFile = `${file}.json`;
      fs.writeFileSync(jsonFile, text);
      crit(['encode', '-i', jsonFile, '-o', `${file}.crit`]);
      expect(fs.readFileSync(`${file}.crit`).equals(fs.readFileSync(file))).toBe(true);
    });
  }
});

describe.skipIf(skipReason !== undefined)('amber reads what crit writes', () => {
  /** Writes crit JSON (bigints as bare numbers) and runs crit encode on it. */
  function critEncode(name: string, image: { magic: string; entries: unknown[] }): void {
    const text = JSON.stringify(image, (_k, v) => (typeof v === 'bigint' ? `@@${v}@@` : v)).replace(/"@@(-?\d+)@@"/g, '$1');
    fs.writeFileSync(path.join(dir, `${name}.json`), text);
    crit(['encode', '-i', path.join(dir, `${name}.json`), '-o', path.join(dir, name)]);
  }

  it(title('decodes crit-encoded core, inventory, pagemap and pipes-data'), () => {
    critEncode('core-77.img', {
      magic: 'CORE',
      entries: [{
        mtype: 'X86_64',
        thread_info: {
          clear_tid_addr: '0x7f0000001000',
          gpregs: { ...Object.fromEntries(Object.keys(coreLeader.thread_info.gpregs).map((r) => [r, 0])), ax: U64_MAX, ip: 0x7f00deadbeefn, mode: 'NATIVE' },
          fpregs: { cwd: 0x37f, swd: 0, twd: 0, fop: 0, rip: 2n ** 63n, rdp: 0, mxcsr: 0x1f80, mxcsr_mask: 0xffff, st_space: [1, 2], xsave: { xstate_bv: 7, opmask_reg: [U64_MAX, 2n ** 53n + 1n] } },
        },
        tc: { task_state: 'Alive', exit_code: 0, personality: 0, flags: 0, blk_sigset: '0xfffffffffffffeff', comm: 'crit-made' },
        thread_core: { futex_rla: 0, futex_rla_len: 0, sched_nice: -20, blk_sigset: U64_MAX - 1n },
      }],
    });
    const [core] = readImage(dir, 'core-77.img', 'CORE');
    expect(core.mtype).toBe(1);
    expect(core.thread_info.clear_tid_addr).toBe(0x7f0000001000n);
    expect(core.thread_info.gpregs.ax).toBe(U64_MAX);
    expect(core.thread_info.gpregs.ip).toBe(0x7f00deadbeefn);
    expect(core.thread_info.gpregs.mode).toBe(1);
    expect(core.thread_info.fpregs.rip).toBe(2n ** 63n);
    expect(core.thread_info.fpregs.xsave.opmask_reg).toEqual([U64_MAX, 2n ** 53n + 1n]);
    expect(core.thread_info.fpregs.xsave.pkru).toEqual([]);
    expect(core.tc.blk_sigset).toBe(0xfffffffffffffeffn);
    expect(core.tc.task_state).toBe(1);
    expect(core.thread_core.sched_nice).toBe(-20);
    expect(core.thread_core.blk_sigset).toBe(U64_MAX - 1n);
    expect('seccomp_mode' in core.thread_core).toBe(false);

    critEncode('inventory.img', { magic: 'INVENTORY', entries: [{ img_version: 2, lsmtype: 'APPARMOR', root_ids: { vm_id: 9, files_id: 8, fs_id: 7, sighand_id: 6 } }] });
    expect(readImage(dir, 'inventory.img', 'INVENTORY')).toEqual([{ img_version: 2, lsmtype: 2, root_ids: { vm_id: 9, files_id: 8, fs_id: 7, sighand_id: 6 } }]);

    critEncode('pagemap-77.img', { magic: 'PAGEMAP', entries: [{ pages_id: 5 }, { vaddr: '0x7fff00000000', nr_pages: 2, flags: 'PE_PRESENT' }] });
    expect(readImage(dir, 'pagemap-77.img', 'PAGEMAP')).toEqual([{ pages_id: 5 }, { vaddr: 0x7fff00000000n, nr_pages: 2, flags: 4 }]);

    critEncode(PIPES_DATA_IMG, { magic: 'PIPES_DATA', entries: [{ pipe_id: 3, bytes: 6, extra: Buffer.from('pipe!\n').toString('base64') }, { pipe_id: 4, bytes: 1, extra: 'eA==' }] });
    const pipes = readImage(dir, PIPES_DATA_IMG, 'PIPES_DATA');
    expect(pipes.map((p) => [p.pipe_id, p.extra.toString()])).toEqual([[3, 'pipe!\n'], [4, 'x']]);
    expect(encodeImage('PIPES_DATA', pipes).equals(fs.readFileSync(path.join(dir, PIPES_DATA_IMG)))).toBe(true);
  });
});
