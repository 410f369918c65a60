import { configDefaults, defineConfig } from 'vitest/config';

// zdtm projects: one vitest test per zdtm test and flavor (test/zdtm/). They need root,
// built test programs and bin/amber; they run one at a time in a single forked worker (ptrace
// and fixed PIDs), after the unit project (groupOrder), and that worker makes itself a child
// subreaper. fileParallelism is a root-only option in vitest 3: singleFork is its per-project form.
const zdtmProject = (name: string, include: string[]) => ({
  test: {
    name,
    include,
    pool: 'forks' as const,
    poolOptions: { forks: { singleFork: true } },
    sequence: { groupOrder: 1 },
    testTimeout: 600_000,
    hookTimeout: 120_000,
    // Failed tests attach their logs; keep the copies out of the work tree.
    attachmentsDir: 'node_modules/.vitest/zdtm-attachments',
  },
});

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/zdtm/**'],
          testTimeout: 60_000,
          // Some build their C fixtures first; on a loaded 2-core machine that took over 10 s.
          hookTimeout: 60_000,
        },
      },
      zdtmProject('zdtm', ['test/zdtm/all.test.ts']),
      zdtmProject('zdtm-quick', ['test/zdtm/quick.test.ts']),
    ],
  },
});
