/**
 * Runs cases up to `jobs` at a time; a case flagged excl runs alone. Without keepGoing, the
 * first failure stops new cases from starting (those already running finish) and the rest are
 * reported as skipped. Results come back in the order of the cases.
 */

export interface SchedulerOptions<C, R> {
  jobs: number;
  keepGoing: boolean;
  isExclusive(c: C): boolean;
  run(c: C): Promise<R>;
  failed(r: R): boolean;
  notRun(c: C): R;
  onStart?(c: C): void;
  onDone?(c: C, r: R): void;
}

export async function schedule<C, R>(cases: C[], o: SchedulerOptions<C, R>): Promise<R[]> {
  const results: R[] = new Array(cases.length);
  const running = new Map<number, Promise<void>>();
  let exclusiveRunning = false;
  let stopped = false;
  let next = 0;

  const launch = (i: number): void => {
    const c = cases[i];
    const excl = o.isExclusive(c);
    exclusiveRunning = excl;
    o.onStart?.(c);
    const p = o.run(c).then((r) => {
      results[i] = r;
      running.delete(i);
      if (excl) exclusiveRunning = false;
      if (o.failed(r) && !o.keepGoing) stopped = true;
      o.onDone?.(c, r);
    });
    running.set(i, p);
  };

  while (next < cases.length && !stopped) {
    const excl = o.isExclusive(cases[next]);
    const mayStart = excl ? running.size === 0 : !exclusiveRunning && running.size < Math.max(1, o.jobs);
    if (mayStart) {
      launch(next++);
      continue;
    }
    await Promise.race(running.values());
  }
  await Promise.all(running.values());
  for (let i = 0; i < cases.length; i++) {
    if (results[i] === undefined) {
      results[i] = o.notRun(cases[i]);
      o.onDone?.(cases[i], results[i]);
    }
  }
  return results;
}
