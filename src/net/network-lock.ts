/**
 * The network lock: while a tree's TCP connections are frozen, checkpointed and not yet restored,
 * nothing may reach or leave them, or the peer's retransmissions would meet a closed port and be
 * answered with a reset. One nftables table per tree (named after its root pid) drops exactly
 * those connections' packets, both ways; other traffic is not touched. iptables is the fallback.
 */
import { spawnSync } from '../lazy-spawn';
import { AmberError } from '../errors';
import { Logger } from '../log';
import { AF_INET } from './sockaddr';
import { REPLAY_MARK as PASS_MARK } from '../soccr/inject';

export type LockMethod = 'nftables' | 'iptables' | 'skip';

export interface LockedConnection {
  family: number;
  local: { address: string; port: number };
  remote: { address: string; port: number };
}

export class NetworkLockError extends AmberError {
  override readonly code = 'ENETLOCK';
}

export function lockTableName(rootPid: number): string {
  return `amber-${rootPid}`;
}

function run(cmd: string, args: string[], input: string | undefined, what: string): void {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.error) throw new NetworkLockError(`${what}: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new NetworkLockError(`${what}: ${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

function nftRules(table: string, conns: LockedConnection[]): string {
  // Segments that TCP repair itself replays into a restored connection are marked: let them through.
  const pass = `    meta mark ${PASS_MARK} accept`;
  const lines = [`table inet ${table} {`, '  chain input { type filter hook input priority -150; policy accept;', pass];
  const rule = (c: LockedConnection, dir: 'in' | 'out') => {
    const ip = c.family === AF_INET ? 'ip' : 'ip6';
    const [src, dst] = dir === 'in' ? [c.remote, c.local] : [c.local, c.remote];
    return `    ${ip} saddr ${src.address} ${ip} daddr ${dst.address} tcp sport ${src.port} tcp dport ${dst.port} drop`;
  };
  for (const c of conns) lines.push(rule(c, 'in'));
  lines.push('  }', '  chain output { type filter hook output priority -150; policy accept;', pass);
  for (const c of conns) lines.push(rule(c, 'out'));
  lines.push('  }', '}');
  return lines.join('\n') + '\n';
}

function iptablesArgs(c: LockedConnection, dir: 'in' | 'out', table: string): { cmd: string; args: string[] } {
  const [src, dst] = dir === 'in' ? [c.remote, c.local] : [c.local, c.remote];
  return {
    cmd: c.family === AF_INET ? 'iptables' : 'ip6tables',
    args: ['-w', dir === 'in' ? 'INPUT' : 'OUTPUT', '-p', 'tcp', '-m', 'mark', '!', '--mark', String(PASS_MARK), '-s', src.address, '--sport', String(src.port), '-d', dst.address, '--dport', String(dst.port), '-m', 'comment', '--comment', table, '-j', 'DROP'],
  };
}

/** Drops every packet of these connections until unlock(). */
export function lockConnections(method: LockMethod, rootPid: number, conns: LockedConnection[], log: Logger): void {
  if (method === 'skip' || conns.length === 0) return;
  const table = lockTableName(rootPid);
  if (method === 'nftables') {
    run('nft', ['-f', '-'], nftRules(table, conns), `locking ${conns.length} TCP connections of tree ${rootPid}`);
  } else {
    for (const c of conns) for (const dir of ['in', 'out'] as const) {
      const { cmd, args } = iptablesArgs(c, dir, table);
      run(cmd, ['-I', ...args], undefined, `locking TCP connections of tree ${rootPid}`);
    }
  }
  log.info(`network locked (${method}): ${conns.length} TCP connections of tree ${rootPid}`);
}

/** Removes the lock of tree rootPid, if there is one (after restore, or after a failed dump). */
export function unlockConnections(method: LockMethod, rootPid: number, conns: LockedConnection[] | undefined, log: Logger): void {
  if (method === 'skip') return;
  const table = lockTableName(rootPid);
  if (method === 'nftables') {
    const probe = spawnSync('nft', ['list', 'table', 'inet', table], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) return;
    run('nft', ['delete', 'table', 'inet', table], undefined, `unlocking the TCP connections of tree ${rootPid}`);
  } else {
    for (const c of conns ?? []) for (const dir of ['in', 'out'] as const) {
      const { cmd, args } = iptablesArgs(c, dir, table);
      spawnSync(cmd, ['-D', ...args]);
    }
  }
  log.info(`network unlocked (${method}) for tree ${rootPid}`);
}

export function parseLockMethod(v: string | undefined): LockMethod {
  if (v === undefined) return 'nftables';
  if (v === 'nftables' || v === 'iptables' || v === 'skip') return v;
  throw new AmberError(`--network-lock ${v}: use nftables, iptables or skip`);
}
