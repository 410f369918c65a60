// Refuse, never drop: every state a PR_GET_* of the kernel reports is carried, refused or marked
// as not applying to x86_64, in src/task/prctl-states.ts's PRCTL_STATES.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRCTL_STATES } from '../../src/task/prctl-states';

const HEADER = '/usr/include/linux/prctl.h';
/** Queries newer than the installed header (Debian 12's is Linux 6.1), and ones not named GET. */
const NEWER = ['PR_GET_MDWE', 'PR_GET_MEMORY_MERGE', 'PR_GET_AUXV', 'PR_GET_SHADOW_STACK_STATUS', 'PR_RISCV_V_GET_CONTROL', 'PR_PPC_GET_DEXCR', 'PR_GET_THP_POLICY'];
const NOT_NAMED_GET = ['PR_CAPBSET_READ', 'PR_CAP_AMBIENT', 'PR_SCHED_CORE', 'PR_GET_MM_EXE_FILE'];

describe('prctl states', () => {
  it.skipIf(!fs.existsSync(HEADER))('every PR_GET_* of <linux/prctl.h> has a place in PRCTL_STATES', () => {
    const names = [...fs.readFileSync(HEADER, 'utf8').matchAll(/^#define\s+(PR_GET_\w+|PR_\w*_GET\w*)\s/gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((n) => !(n in PRCTL_STATES))).toEqual([]);
  });

  it('covers the newer queries and the ones not named GET', () => {
    expect([...NEWER, ...NOT_NAMED_GET].filter((n) => !(n in PRCTL_STATES))).toEqual([]);
  });
});
