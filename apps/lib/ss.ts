/** For the logs: the kernel's view of the app's established connections (queues, states). */
import { spawnSync } from 'node:child_process';

export function socketQueues(port: number): string {
  const r = spawnSync('ss', ['-tnH', 'state', 'established', `( sport = :${port} or dport = :${port} )`], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) return `(ss: ${r.error?.message ?? `exit ${r.status}`})`;
  const lines = r.stdout.trim().split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/).slice(0, 4).join(' '));
  return lines.length ? `recv-q send-q local peer: ${lines.join(' | ')}` : '(no established connection)';
}
