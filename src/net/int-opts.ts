/**
 * Integer socket options of the IP and IPv6 levels, carried as (level, name, value) triples
 * (int_opt_entry, amber's own): read at dump, and set at restore where they differ from what a
 * fresh socket of the same kind reads, so defaults are never pinned. Options without meaning
 * for a socket (ENOPROTOOPT/EOPNOTSUPP) are left out.
 */
import { Entry } from '../images';
import { AmberError } from '../errors';
import { getIntsOptional, setInt, SOL_IP, SOL_IPV6 } from './sockopt';
import { AF_INET } from './sockaddr';

/** [level, option, name for messages]. IP_TOS/TTL/PKTINFO/FREEBIND/HDRINCL/NODEFRAG are in ip_opts. */
const IP_INT_OPTS: [number, number, string][] = [
  [SOL_IP, 6, 'IP_RECVOPTS'], [SOL_IP, 7, 'IP_RETOPTS'], [SOL_IP, 10, 'IP_MTU_DISCOVER'],
  [SOL_IP, 11, 'IP_RECVERR'], [SOL_IP, 12, 'IP_RECVTTL'], [SOL_IP, 13, 'IP_RECVTOS'],
  [SOL_IP, 19, 'IP_TRANSPARENT'], [SOL_IP, 21, 'IP_MINTTL'], [SOL_IP, 24, 'IP_BIND_ADDRESS_NO_PORT'],
  [SOL_IP, 25, 'IP_RECVFRAGSIZE'], [SOL_IP, 33, 'IP_MULTICAST_TTL'], [SOL_IP, 34, 'IP_MULTICAST_LOOP'],
  [SOL_IP, 49, 'IP_MULTICAST_ALL'], [SOL_IP, 20, 'IP_ORIGDSTADDR'],
];
const IPV6_INT_OPTS: [number, number, string][] = [
  [SOL_IPV6, 16, 'IPV6_UNICAST_HOPS'], [SOL_IPV6, 18, 'IPV6_MULTICAST_HOPS'], [SOL_IPV6, 19, 'IPV6_MULTICAST_LOOP'],
  [SOL_IPV6, 23, 'IPV6_MTU_DISCOVER'], [SOL_IPV6, 25, 'IPV6_RECVERR'], [SOL_IPV6, 29, 'IPV6_MULTICAST_ALL'],
  [SOL_IPV6, 49, 'IPV6_RECVPKTINFO'], [SOL_IPV6, 51, 'IPV6_RECVHOPLIMIT'], [SOL_IPV6, 53, 'IPV6_RECVHOPOPTS'],
  [SOL_IPV6, 56, 'IPV6_RECVRTHDR'], [SOL_IPV6, 58, 'IPV6_RECVDSTOPTS'], [SOL_IPV6, 60, 'IPV6_RECVPATHMTU'],
  [SOL_IPV6, 62, 'IPV6_DONTFRAG'], [SOL_IPV6, 66, 'IPV6_RECVTCLASS'], [SOL_IPV6, 67, 'IPV6_TCLASS'],
  [SOL_IPV6, 70, 'IPV6_AUTOFLOWLABEL'], [SOL_IPV6, 73, 'IPV6_MINHOPCOUNT'], [SOL_IPV6, 74, 'IPV6_RECVORIGDSTADDR'],
  [SOL_IPV6, 75, 'IPV6_TRANSPARENT'], [SOL_IPV6, 7, 'IPV6_CHECKSUM'],
];

const optsFor = (family: number) => (family === AF_INET ? IP_INT_OPTS : IPV6_INT_OPTS);

/** Multicast options: the kernel refuses to set them on stream sockets, whatever they read. */
const MULTICAST = new Set(['IP_MULTICAST_TTL', 'IP_MULTICAST_LOOP', 'IP_MULTICAST_ALL', 'IPV6_MULTICAST_HOPS', 'IPV6_MULTICAST_LOOP', 'IPV6_MULTICAST_ALL']);
const SOCK_STREAM = 1;

export function dumpIntOpts(fd: number, family: number, type: number): Entry[] {
  const out: Entry[] = [];
  const wanted = optsFor(family).filter(([, , label]) => !(type === SOCK_STREAM && MULTICAST.has(label)));
  // One level per family: every option in one native call.
  const level = wanted[0][0];
  const values = getIntsOptional(fd, level, wanted.map(([, name]) => name));
  wanted.forEach(([, name], i) => {
    const value = values[i];
    if (value !== undefined) out.push({ level, name, value });
  });
  return out;
}

export function intOptName(level: number, name: number): string {
  return [...IP_INT_OPTS, ...IPV6_INT_OPTS].find(([l, n]) => l === level && n === name)?.[2] ?? `option ${level}:${name}`;
}

export function restoreIntOpts(fd: number, opts: Entry[] | undefined): void {
  if (!opts?.length) return;
  // What the fresh socket reads, level by level, in one native call each.
  const current = new Map<string, number | undefined>();
  for (const level of new Set(opts.map((o) => o.level as number))) {
    const names = opts.filter((o) => o.level === level).map((o) => o.name as number);
    getIntsOptional(fd, level, names).forEach((v, i) => current.set(`${level}:${names[i]}`, v));
  }
  for (const o of opts) {
    if (current.get(`${o.level}:${o.name}`) === o.value) continue;
    try {
      setInt(fd, o.level, o.name, o.value);
    } catch (e) {
      throw new AmberError(`setting ${intOptName(o.level, o.name)} to ${o.value}: ${(e as Error).message}`, { cause: e });
    }
  }
}
