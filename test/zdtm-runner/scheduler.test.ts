import { describe, expect, it } from 'vitest';
import { schedule } from '../../zdtm/runner/scheduler';

interface C {
  name: string;
  excl?: boolean;
  fail?: boolean;
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

async function run(cases: C[], jobs: number, keepGoing: boolean) {
  let running = 0;
  let maxRunning = 0;
  const overlaps: string[] = [];
  const active = new Set<string>();
  const results = await schedule(cases, {
    jobs,
    keepGoing,
    isExclusive: (c) => !!c.excl,
    run: async (c) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      active.add(c.name);
      if (active.size > 1 && cases.some((x) => x.excl && active.has(x.name))) overlaps.push([...active].join('+'));
      await tick();
      active.delete(c.name);
      running--;
      return `${c.name}:${c.fail ? 'fail' : 'pass'}`;
    },
    failed: (r) => r.endsWith('fail'),
    notRun: (c) => `${c.name}:notrun`,
  });
  return { results, maxRunning, overlaps };
}

describe('scheduler', () => {
  it('keeps the case order in results and respects -j', async () => {
    const cases = Array.from({ length: 7 }, (_, i) => ({ name: `t${i}` }));
    const { results, maxRunning } = await run(cases, 3, false);
    expect(results).toEqual(cases.map((c) => `${c.name}:pass`));
    expect(maxRunning).toBe(3);
  });

  it('runs excl cases alone', async () => {
    const cases = [{ name: 'a' }, { name: 'b' }, { name: 'x', excl: true }, { name: 'c' }, { name: 'd' }];
    const { results, overlaps } = await run(cases, 4, false);
    expect(results.every((r) => r.endsWith('pass'))).toBe(true);
    expect(overlaps).toEqual([]);
  });

  it('stops starting cases after a failure unless keepGoing', async () => {
    const cases = [{ name: 'a' }, { name: 'b', fail: true }, { name: 'c' }, { name: 'd' }];
    expect((await run(cases, 1, false)).results).toEqual(['a:pass', 'b:fail', 'c:notrun', 'd:notrun']);
    expect((await run(cases, 1, true)).results).toEqual(['a:pass', 'b:fail', 'c:pass', 'd:pass']);
  });
});
