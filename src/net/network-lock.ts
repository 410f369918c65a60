/**
 * The network lock: while a tree's TCP connections are frozen, checkpointed and not yet restored,
 * nothing may reach or leave them, or the peer's retransmissions would meet a closed port and be
 * answered with a reset. One nftables table per tree (named after its root pid) drops exactly
 * those connections' packets, both ways; other traffic is not touched. iptables is the fallback.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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

interface ToolRun { status: number | null; stderr: string; error?: Error }

/** A lock tool's run that failed, as an error saying what was being done and what the tool said. */
function refuseFailedRun(r: ToolRun, cmdline: string, what: string): void {
  if (r.error) throw new NetworkLockError(`${what}: cannot run ${cmdline.split(' ')[0]}: ${r.error.message}`);
  if (r.status !== 0) throw new NetworkLockError(`${what}: ${cmdline} failed: ${r.stderr.trim()}`);
}

function run(cmd: string, args: string[], what: string): void {
  refuseFailedRun(spawnSync(cmd, args, { encoding: 'utf8' }), `${cmd} ${args.join(' ')}`, what);
}

/**
 * `nft -f FILE` of `rules`, the file in a directory of its own (0700, removed after). Not `-f -`:
 * nftables before 1.0 opens /dev/stdin, which fails (ENXIO) on the socket Node gives a child as
 * its stdin (Debian 11's 0.9.8 refused every lock so).
 */
export function nftLoad(rules: string): ToolRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-nft-'));
  try {
    const file = path.join(dir, 'rules.nft');
    fs.writeFileSync(file, rules, { mode: 0o600 });
    const r = spawnSync('nft', ['-f', file], { encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr ?? '', error: r.error };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The address as it is on the wire: a v4-mapped IPv6 address (::ffff:a.b.c.d) travels as IPv4. */
function wireAddress(c: LockedConnection): { v4: boolean; local: string; remote: string } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;
  const l = mapped.exec(c.local.address), r = mapped.exec(c.remote.address);
  if (c.family !== AF_INET && l && r) return { v4: true, local: l[1], remote: r[1] };
  return { v4: c.family === AF_INET, local: c.local.address, remote: c.remote.address };
}

/**
 * One table: a set of the connections' 4-tuples, each way (remote to local and local to remote),
 * looked up once per packet in the input and output hooks (a rule per connection made `nft` take
 * 71 ms to load 1,000 connections, and every packet walk them all; the set loads in 13 ms).
 */
function nftRules(table: string, conns: LockedConnection[]): string {
  const v4: string[] = [], v6: string[] = [];
  for (const c of conns) {
    const w = wireAddress(c);
    const into = w.v4 ? v4 : v6;
    into.push(`${w.remote} . ${c.remote.port} . ${w.local} . ${c.local.port}`, `${w.local} . ${c.local.port} . ${w.remote} . ${c.remote.port}`);
  }
  const lines = [`table inet ${table} {`];
  const sets: [string, string, string[]][] = [['v4', 'ip', v4], ['v6', 'ip6', v6]];
  for (const [name, ip, elements] of sets) {
    if (elements.length) lines.push(`  set ${name} { type ${ip === 'ip' ? 'ipv4_addr' : 'ipv6_addr'} . inet_service . ${ip === 'ip' ? 'ipv4_addr' : 'ipv6_addr'} . inet_service; elements = { ${elements.join(', ')} } }`);
  }
  const drops = sets.filter(([, , e]) => e.length).map(([name, ip]) => `    ${ip} saddr . tcp sport . ${ip} daddr . tcp dport @${name} drop`);
  for (const hook of ['input', 'output']) {
    // Segments that TCP repair itself replays into a restored connection are marked: let them through.
    lines.push(`  chain ${hook} { type filter hook ${hook} priority -150; policy accept;`, `    meta mark ${PASS_MARK} accept`, ...drops, '  }');
  }
  lines.push('}');
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
    refuseFailedRun(nftLoad(nftRules(table, conns)), 'nft -f', `locking ${conns.length} TCP connections of tree ${rootPid}`);
  } else {
    for (const c of conns) for (const dir of ['in', 'out'] as const) {
      const { cmd, args } = iptablesArgs(c, dir, table);
      run(cmd, ['-I', ...args], `locking TCP connections of tree ${rootPid}`);
    }
  }
  log.info(`network locked (${method}): ${conns.length} TCP connections of tree ${rootPid}`);
}

/** Removes the lock of tree rootPid, if there is one (after restore, or after a failed dump). */
export function unlockConnections(method: LockMethod, rootPid: number, conns: LockedConnection[] | undefined, log: Logger): void {
  if (method === 'skip') return;
  const table = lockTableName(rootPid);
  if (method === 'nftables') {
    // One command: a table that is not there (no lock, or removed already) is not an error.
    const r = spawnSync('nft', ['delete', 'table', 'inet', table], { encoding: 'utf8' });
    // Without nft there is no table of nft's to remove.
    if (r.error) return;
    if (r.status !== 0) {
      if (/No such file or directory/.test(r.stderr)) return;
      throw new NetworkLockError(`unlocking the TCP connections of tree ${rootPid}: nft delete table inet ${table} failed: ${r.stderr.trim()}`);
    }
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
