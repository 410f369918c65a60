// Refuse, never drop: every VmFlags mnemonic a kernel prints is either carried, derived from what
// is carried, or makes classifyVma refuse the mapping; one it does not know is refused too.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../src/errors';
import { classifyVma, MAP_NORESERVE } from '../../src/mem/vma';
import { VM_FLAGS } from '../../src/mem/vm-flags';
import type { MapsEntry } from '../../src/proc/maps';

/** The mnemonics proc(5) and the kernel's fs/proc/task_mmu.c document. */
const DOCUMENTED = ['rd', 'wr', 'ex', 'sh', 'mr', 'mw', 'me', 'ms', 'gd', 'pf', 'dw', 'lo', 'io', 'sr', 'rr', 'dc', 'de', 'ac', 'nr', 'ht', 'sf', 'nl', 'ar', 'wf', 'dd', 'sd', 'mm', 'hg', 'nh', 'mg', 'bt', 'mt', 'um', 'uw', 'ui', 'ss', 'sl', 'lf', 'gu'];

function anon(flags: string[]): MapsEntry {
  return {
    start: 0x10000000n, end: 0x10001000n, read: true, write: true, exec: false, shared: false,
    offset: 0n, dev: '00:00', inode: 0, path: '', vmFlags: new Set(['rd', 'wr', 'mr', 'mw', 'me', 'ac', ...flags]),
  };
}

/** Every VmFlags mnemonic of every mapping of every process on this machine. */
function flagsOnThisMachine(): Set<string> {
  const seen = new Set<string>();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let text: string;
    try { text = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8'); } catch { continue; }
    for (const line of text.split('\n')) if (line.startsWith('VmFlags:')) for (const f of line.slice(8).trim().split(/\s+/)) if (f) seen.add(f);
  }
  return seen;
}

describe('VmFlags: carried, derived or refused', () => {
  it('knows every flag the kernel documents', () => {
    expect(DOCUMENTED.filter((f) => !(f in VM_FLAGS))).toEqual([]);
  });

  it('knows every flag of every mapping on this machine', () => {
    const seen = flagsOnThisMachine();
    expect(seen.size).toBeGreaterThan(5);
    expect([...seen].filter((f) => !(f in VM_FLAGS))).toEqual([]);
  });

  it('refuses a mapping with a flag it does not know', () => {
    expect(() => classifyVma(anon(['zz']), 1)).toThrow(UnsupportedError);
    expect(() => classifyVma(anon(['zz']), 1)).toThrow(/VmFlag "zz" is unknown/);
  });

  for (const [flag, rule] of Object.entries(VM_FLAGS)) {
    if (rule.how === 'refused') {
      it(`refuses "${flag}": ${rule.why}`, () => {
        expect(() => classifyVma(anon([flag]), 1)).toThrow(rule.why);
      });
    } else if (rule.how === 'carried' && rule.madvise !== undefined) {
      it(`carries "${flag}" as ${rule.what}`, () => {
        const v = classifyVma(anon([flag]), 1);
        expect((BigInt(v.entry.madv ?? 0n) >> BigInt(rule.madvise!)) & 1n).toBe(1n);
      });
    }
  }

  it('carries mlock, lock on fault and MAP_NORESERVE', () => {
    expect(classifyVma(anon(['lo']), 1).entry.mlock).toBe(1);
    expect(classifyVma(anon(['lo', 'lf']), 1).entry.mlock).toBe(3);
    expect(classifyVma(anon(['nr']), 1).entry.flags & MAP_NORESERVE).toBe(MAP_NORESERVE);
    expect(classifyVma(anon([]), 1).entry.flags & MAP_NORESERVE).toBe(0);
  });
});
