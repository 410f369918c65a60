/**
 * crit x DIR ps|fds|mems|rss: summaries of a dump directory, printed line
 * for line as crit prints them. They read the images in crit's (not
 * pretty) JSON form, so names and numbers come out as crit shows them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CritError, decodeImageJson } from './codec';

type Obj = Record<string, any>;

const padL = (s: string, w: number) => s.padStart(w);
const padR = (s: string, w: number) => s.padEnd(w);
const hex = (v: bigint | number) => BigInt(v).toString(16);
const pyAltHex = (v: bigint | number) => {
  const b = BigInt(v);
  return b < 0n ? `-0x${(-b).toString(16)}` : `0x${b.toString(16)}`;
};

class Explorer {
  private out: string[] = [];
  private filesImg: Obj[] | undefined;
  private readonly images = new Map<string, Obj[]>();
  private readonly fileStrs = new Map<string, string>();

  constructor(private readonly dir: string) {}

  print(line: string): void {
    this.out.push(line + '\n');
  }

  text(): string {
    return this.out.join('');
  }

  load(name: string): Obj[] {
    const file = path.join(this.dir, name);
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (e) {
      throw new CritError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return (decodeImageJson(data) as Obj).entries as Obj[];
  }

  private findInFiles(id: bigint): Obj | undefined {
    if (this.filesImg === undefined) {
      try {
        this.filesImg = this.load('files.img');
      } catch {
        this.filesImg = [];
      }
    }
    return this.filesImg.find((f) => f.id === id);
  }

  /** The file's own entry: its `field` member in files.img or, when files.img does not have it, its entry in `img`. */
  private findFile(field: string, img: string, id: bigint): Obj | undefined {
    const f = this.findInFiles(id);
    if (f) return f[field] ?? undefined;
    let list = this.images.get(img);
    if (!list) {
      list = this.load(img);
      this.images.set(img, list);
    }
    return list.find((e) => e.id === id);
  }

  fileStr(type: string, id: bigint): string {
    const key = `${type}/${id}`;
    const cached = this.fileStrs.get(key);
    if (cached) return cached;
    let s: string;
    switch (type) {
      case 'REG': {
        const rf = this.findFile('reg', 'reg-files.img', id);
        s = rf && rf.name ? rf.name : 'unknown path';
        break;
      }
      case 'PIPE': {
        const p = this.findFile('pipe', 'pipes.img', id);
        s = p ? `pipe[${p.pipe_id}]` : 'pipe[?]';
        break;
      }
      case 'UNIXSK': {
        const ux = this.findFile('usk', 'unixsk.img', id);
        if (!ux) s = 'unix[?]';
        else {
          if (ux.peer === undefined) throw new CritError(`unix socket ${id} has no peer field`);
          s = `unix[${ux.ino} (${ux.peer})${ux.name ? ` ${ux.name}` : ''}]`;
        }
        break;
      }
      default:
        s = `${type}.${id}`;
    }
    this.fileStrs.set(key, s);
    return s;
  }
}

const taskId = (p: Obj, name: string): bigint => {
  if (name in p) return p[name];
  const ns = p[`ns_${name}`];
  if (!Array.isArray(ns) || ns.length === 0) throw new CritError(`pstree entry without ${name}`);
  return ns[0];
};

function ps(x: Explorer): void {
  interface Item { pid: bigint; ppid: bigint; p: Obj; core: Obj; kids: Item[] }
  const items = new Map<bigint, Item>();
  for (const p of x.load('pstree.img')) {
    const pid = taskId(p, 'pid');
    const core = x.load(`core-${pid}.img`)[0];
    items.set(pid, { pid, ppid: p.ppid, p, core, kids: [] });
  }
  let root: Item | undefined;
  for (const it of items.values()) {
    if (it.ppid === 0n) {
      root = it;
      continue;
    }
    const parent = items.get(it.ppid);
    if (!parent) throw new CritError(`task ${it.pid}: parent ${it.ppid} is not in pstree.img`);
    parent.kids.push(it);
  }
  x.print(`${padL('PID', 7)}${padL('PGID', 7)}${padL('SID', 7)}   COMM`);
  if (!root) throw new CritError('pstree.img has no root task (ppid 0)');
  const show = (it: Item, depth: number) => {
    x.print(`${padL(String(it.pid), 7)}${padL(String(taskId(it.p, 'pgid')), 7)}${padL(String(taskId(it.p, 'sid')), 7)}   ${' '.repeat(4 * depth)}${it.core.tc.comm}`);
    for (const k of it.kids) show(k, depth + 1);
  };
  show(root, 0);
}

function fds(x: Explorer): void {
  for (const p of x.load('pstree.img')) {
    const pid = taskId(p, 'pid');
    const filesId = x.load(`ids-${pid}.img`)[0].files_id;
    const fdi = x.load(`fdinfo-${filesId}.img`);
    x.print(String(pid));
    for (const fd of fdi) x.print(`\t${padL(String(fd.fd), 7)}: ${x.fileStr(fd.type, fd.id)}`);
    const fsEntry = x.load(`fs-${pid}.img`)[0];
    x.print(`\t${padL('cwd', 7)}: ${x.fileStr('REG', fsEntry.cwd_id)}`);
    x.print(`\t${padL('root', 7)}: ${x.fileStr('REG', fsEntry.root_id)}`);
  }
}

function mems(x: Explorer): void {
  const ids = new Map<bigint, number>();
  const vid = (shmid: bigint) => {
    let v = ids.get(shmid);
    if (v === undefined) {
      v = ids.size + 1;
      ids.set(shmid, v);
    }
    return v;
  };
  for (const p of x.load('pstree.img')) {
    const pid = taskId(p, 'pid');
    const mm = x.load(`mm-${pid}.img`)[0];
    x.print(String(pid));
    x.print(`\t${padR('exe', 36)}    ${x.fileStr('REG', mm.exe_file_id)}`);
    for (const vma of (mm.vmas ?? []) as Obj[]) {
      const st = BigInt(vma.status);
      const bit = (n: number) => (st & (1n << BigInt(n))) !== 0n;
      let fn: string;
      if (bit(10)) fn = ` ips[${hex(vid(vma.shmid))}]`;
      else if (bit(8)) fn = ` shmem[${hex(vid(vma.shmid))}]`;
      else if (bit(11)) fn = ` packet[${hex(vid(vma.shmid))}]`;
      else if (bit(6) || bit(7)) {
        fn = ' ' + x.fileStr('REG', vma.shmid);
        if (vma.pgoff) fn += ` + ${pyAltHex(vma.pgoff)}`;
        if (bit(7)) fn += ' (s)';
      } else if (bit(1)) fn = ' [stack]';
      else if (bit(2)) fn = ' [vsyscall]';
      else if (bit(3)) fn = ' [vdso]';
      else if (BigInt(vma.flags) & 0x100n) fn = ' [stack?]';
      else fn = '';
      if (!bit(0)) fn += ' *';
      const prot = BigInt(vma.prot);
      const rwx = (prot & 1n ? 'r' : '-') + (prot & 2n ? 'w' : '-') + (prot & 4n ? 'x' : '-');
      const range = `${hex(vma.start).padStart(8, '0')}-${hex(vma.end).padStart(8, '0')}`;
      x.print(`\t${padR(range, 36)}${rwx}${fn}`);
    }
  }
}

function rss(x: Explorer): void {
  for (const p of x.load('pstree.img')) {
    const pid = taskId(p, 'pid');
    const vmas = (x.load(`mm-${pid}.img`)[0].vmas ?? []) as Obj[];
    const pms = x.load(`pagemap-${pid}.img`);
    x.print(String(pid));
    const vmaAt = (i: number): Obj => {
      if (i >= vmas.length) throw new CritError(`pagemap-${pid}.img: pages past the last vma (list index out of range)`);
      return vmas[i];
    };
    let vmi = 0;
    let pvmi = -1;
    for (const pm of pms.slice(1)) {
      const vaddr = BigInt(pm.vaddr);
      const nr = BigInt(pm.nr_pages);
      const pstr = `\t${hex(vaddr)} / ${padR(String(nr), 8)}`;
      while (BigInt(vmaAt(vmi).end) <= vaddr) vmi++;
      const pme = vaddr + (nr << 12n);
      let vstr = '';
      while (BigInt(vmaAt(vmi).start) < pme) {
        const vma = vmas[vmi];
        if (vmi === pvmi) vstr += ' ~';
        else {
          const start = BigInt(vma.start);
          vstr += ` ${hex(start).padStart(8, '0')} / ${padR(String((BigInt(vma.end) - start) >> 12n), 8)}`;
          if (BigInt(vma.status) & ((1n << 6n) | (1n << 7n))) vstr += ' ' + x.fileStr('REG', vma.shmid);
          pvmi = vmi;
        }
        vstr += '\n\t' + ' '.repeat(23);
        vmi++;
      }
      vmi--;
      x.print(`${padR(pstr, 24)}${vstr}`);
    }
  }
}

export const EXPLORERS = { ps, fds, mems, rss } as const;
export type ExplorerName = keyof typeof EXPLORERS;

/** The text crit x DIR WHAT prints. Throws CritError (the text so far in `partial`) when an image is missing or bad. */
export function explore(dir: string, what: ExplorerName): string {
  const x = new Explorer(dir);
  try {
    EXPLORERS[what](x);
  } catch (e) {
    (e as { partial?: string }).partial = x.text();
    throw e;
  }
  return x.text();
}

