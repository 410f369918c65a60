/**
 * Probes of networking: socket options, TCP repair, ioctls that name a socket's namespace or
 * file, sock_diag, rtnetlink (netns ids, veth peers in other namespaces, chosen ifindexes, done
 * in scratch namespaces), nf_tables and the tools the network lock runs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import { netlinkRequest, NLM_F_ACK, NLM_F_DUMP, parseAttrs } from '../net/netlink';
import { nftLoad } from '../net/network-lock';
import { closeQuietly, CLONE_NEWNET, errName, inScratchNetns, NR, Probe, readlinkOr, sys, withTempDir } from './sys';

const AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1, SO_BUF_LOCK = 72, SOL_TCP = 6, TCP_REPAIR = 19, SOL_IPV6 = 41, IPV6_FREEBIND = 78;
const IPPROTO_RAW = 255;
const SIOCGSKNS = 0x894c, SIOCUNIXFILE = 0x89e0, TUNSETIFINDEX = 0x400454da, TUNGETIFF = 0x800454d2;
const NETLINK_ROUTE = 0, NETLINK_SOCK_DIAG = 4, NETLINK_NETFILTER = 12, SOCK_DIAG_BY_FAMILY = 20;
const RTM_NEWLINK = 16, RTM_GETLINK = 18, RTM_SETLINK = 19, RTM_GETNSID = 90, RTM_NEWNSID = 88;
const NLM_F_CREATE = 0x400, NLM_F_EXCL = 0x200;
const IFLA_IFNAME = 3, IFLA_LINKINFO = 18, IFLA_NET_NS_FD = 28, IFLA_LINK_NETNSID = 37, IFLA_NEW_IFINDEX = 49;
const IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, VETH_INFO_PEER = 1, NLA_F_NESTED = 0x8000;
const NETNSA_NSID = 1, NETNSA_FD = 3;
const NFT_MSG_GETGEN = (10 << 8) | 16, NFT_MSG_NEWGEN = (10 << 8) | 15;

function int(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v, 0);
  return b;
}

/** A socket option that must be taken and read back: set v, get it. */
function sockoptRoundTrip(domain: number, type: number, level: number, name: number, v: number, what: string): string | undefined {
  const fd = native.socket(domain, type | SOCK_CLOEXEC, 0);
  try {
    native.setsockopt(fd, level, name, int(v));
    const got = native.getsockopt(fd, level, name, 4).readInt32LE(0);
    return got === v ? undefined : `${what} set to ${v} reads back ${got}`;
  } catch (e) {
    return `${what}: ${(e as Error).message}`;
  } finally {
    closeQuietly(fd);
  }
}

/** SO_BUF_LOCK: a socket's buffer sizes can be marked as set by the user (3: both), as dumped. */
export const probeSockoptBufLock: Probe = () => sockoptRoundTrip(AF_INET, SOCK_STREAM, SOL_SOCKET, SO_BUF_LOCK, 3, 'SO_BUF_LOCK');
/** IPV6_FREEBIND: an IPv6 socket may bind an address not (yet) configured, as restore needs. */
export const probeIpv6Freebind: Probe = () => sockoptRoundTrip(AF_INET6, SOCK_DGRAM, SOL_IPV6, IPV6_FREEBIND, 1, 'IPV6_FREEBIND');

/**
 * TCP repair of half-closed connections: a connected loopback socket that has sent its FIN
 * (shutdown(SHUT_WR)) must still be put in repair mode (older kernels refused outside ESTABLISHED).
 */
export const probeTcpHalfClosed: Probe = () => {
  const fds: number[] = [];
  try {
    const l = native.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    fds.push(l);
    const addr = Buffer.alloc(16);
    addr.writeUInt16LE(AF_INET, 0);
    addr.writeUInt32BE(0x7f000001, 4);
    native.bind(l, addr);
    native.listen(l, 1);
    const c = native.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    fds.push(c);
    native.connect(c, native.getsockname(l));
    fds.push(native.accept4(l, SOCK_CLOEXEC));
    native.shutdown(c, 1 /* SHUT_WR */);
    native.setsockopt(c, SOL_TCP, TCP_REPAIR, int(1));
    return undefined;
  } catch (e) {
    return `TCP_REPAIR on a half-closed socket: ${(e as Error).message}`;
  } finally {
    fds.forEach(closeQuietly);
  }
};

/** An ioctl that returns a namespace fd must name this thread's network namespace. */
function sameNetns(nsfd: number, what: string): string | undefined {
  const got = readlinkOr(`/proc/self/fd/${nsfd}`), want = readlinkOr('/proc/thread-self/ns/net');
  closeQuietly(nsfd);
  return got === want ? undefined : `${what} gave ${got}, not ${want}`;
}

/** SIOCGSKNS: a socket tells its network namespace (an nsfs fd); dumps of sockets in other namespaces need it. */
export const probeSkNs: Probe = () => {
  const fd = native.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  try {
    const r = sys(NR.ioctl, fd, SIOCGSKNS, 0);
    return r.ret === -1 ? `ioctl(SIOCGSKNS): ${errName(r.errno)}` : sameNetns(r.ret, 'SIOCGSKNS');
  } finally {
    closeQuietly(fd);
  }
};

function withTunFd<T>(fn: (fd: number) => T): T | string {
  let fd: number;
  try {
    fd = fs.openSync('/dev/net/tun', fs.constants.O_RDWR);
  } catch (e) {
    return `/dev/net/tun: ${(e as NodeJS.ErrnoException).code}`;
  }
  try {
    return fn(fd);
  } finally {
    closeQuietly(fd);
  }
}

/**
 * Tun devices can be restored: /dev/net/tun opens, a detached tun file takes TUNSETIFINDEX (the
 * ifindex its device will get) and answers TUNGETIFF with EBADFD (the query exists, no device yet).
 */
export const probeTun: Probe = () =>
  withTunFd((fd) => {
    const idx = int(0);
    const s = sys(NR.ioctl, fd, TUNSETIFINDEX, idx);
    if (s.ret === -1) return `ioctl(TUNSETIFINDEX): ${errName(s.errno)}`;
    const g = sys(NR.ioctl, fd, TUNGETIFF, Buffer.alloc(40));
    return g.ret === -1 && g.errno === 77 /* EBADFD */ ? undefined : `TUNGETIFF on a detached tun file: ${g.ret === -1 ? errName(g.errno) : 'succeeded'}`;
  });

/** A tun file tells the network namespace of its device (SIOCGSKNS on /dev/net/tun). */
export const probeTunNs: Probe = () =>
  withTunFd((fd) => {
    const r = sys(NR.ioctl, fd, SIOCGSKNS, 0);
    return r.ret === -1 ? `ioctl(SIOCGSKNS) on a tun file: ${errName(r.errno)}` : sameNetns(r.ret, 'SIOCGSKNS on a tun file');
  });

/**
 * SIOCUNIXFILE: a bound unix socket hands out an O_PATH fd of its socket file, which must be the
 * inode at the path it was bound to (how a socket whose file was moved or overmounted is found).
 */
export const probeSkUnixFile: Probe = () =>
  withTempDir((dir) => {
    const p = path.join(dir, 'sk');
    const fd = native.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    try {
      const addr = Buffer.alloc(2 + Buffer.byteLength(p) + 1);
      addr.writeUInt16LE(AF_UNIX, 0);
      addr.write(p, 2);
      native.bind(fd, addr);
      const r = sys(NR.ioctl, fd, SIOCUNIXFILE, 0);
      if (r.ret === -1) return `ioctl(SIOCUNIXFILE): ${errName(r.errno)}`;
      const ino = fs.fstatSync(r.ret).ino;
      closeQuietly(r.ret);
      return ino === fs.statSync(p).ino ? undefined : 'SIOCUNIXFILE gave another file than the bound one';
    } finally {
      closeQuietly(fd);
    }
  });

/**
 * sock_diag knows raw sockets (raw_diag): a dump of AF_INET raw sockets of protocol IPPROTO_RAW
 * must list the one just made, by inode.
 */
export const probeNetDiagRaw: Probe = () => {
  let fd: number;
  try {
    fd = native.socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  } catch (e) {
    return `a raw socket: ${(e as Error).message}`;
  }
  try {
    const ino = fs.fstatSync(fd).ino;
    const req = Buffer.alloc(56);
    req.writeUInt8(AF_INET, 0);
    req.writeUInt8(IPPROTO_RAW, 1);
    req.writeUInt8(IPPROTO_RAW, 3); // sdiag_raw_protocol
    req.writeUInt32LE(0xffffffff, 4);
    req.writeUInt32LE(0xffffffff, 48);
    req.writeUInt32LE(0xffffffff, 52);
    let msgs;
    try {
      msgs = netlinkRequest(NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, req, 'sock_diag of raw sockets');
    } catch (e) {
      return (e as Error).message;
    }
    if (msgs.some((m) => m.payload.length >= 72 && m.payload.readUInt32LE(68) === ino)) return undefined;
    const done = dumpDoneErrno(NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, req);
    return `sock_diag did not list the raw socket${done ? ` (the dump ended with ${errName(done)}: no raw_diag handler)` : ''}`;
  } finally {
    closeQuietly(fd);
  }
};

/**
 * The error a netlink dump ends with: the kernel puts it in the NLMSG_DONE payload (ENOENT when
 * inet_diag has no handler for the protocol), which netlinkRequest does not look at.
 */
function dumpDoneErrno(protocol: number, type: number, payload: Buffer): number {
  const fd = native.socket(16 /* AF_NETLINK */, SOCK_DGRAM | SOCK_CLOEXEC, protocol);
  try {
    const msg = Buffer.alloc(16 + payload.length);
    msg.writeUInt32LE(msg.length, 0);
    msg.writeUInt16LE(type, 4);
    msg.writeUInt16LE(NLM_F_DUMP | 1 /* NLM_F_REQUEST */, 6);
    payload.copy(msg, 16);
    const kernel = Buffer.alloc(12);
    kernel.writeUInt16LE(16, 0);
    native.sendmsg(fd, msg, kernel, null, 0);
    for (let round = 0; round < 64; round++) {
      const b = native.recvmsg(fd, 65536, 0, 0).data;
      for (let off = 0; off + 16 <= b.length;) {
        const len = b.readUInt32LE(off), t = b.readUInt16LE(off + 4);
        if (t === 3 /* NLMSG_DONE */) return len >= 20 ? -b.readInt32LE(off + 16) : 0;
        if (t === 2 /* NLMSG_ERROR */) return -b.readInt32LE(off + 16);
        if (len < 16) return 0;
        off += (len + 3) & ~3;
      }
    }
    return 0;
  } finally {
    closeQuietly(fd);
  }
}

function attr(type: number, data: Buffer): Buffer {
  const len = 4 + data.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  data.copy(b, 4);
  return b;
}
const strAttr = (type: number, s: string) => attr(type, Buffer.from(s + '\0'));
const nested = (type: number, ...parts: Buffer[]) => attr(type | NLA_F_NESTED, Buffer.concat(parts));

/** struct ifinfomsg (16 bytes) with an ifindex. */
function ifinfo(index = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(index, 4);
  return b;
}

/** RTM_GETNSID: the kernel answers the id of a network namespace (this one's, by fd) with RTM_NEWNSID. */
export const probeNsid: Probe = () => {
  const ns = fs.openSync('/proc/thread-self/ns/net', 'r');
  try {
    const msgs = netlinkRequest(NETLINK_ROUTE, RTM_GETNSID, 0, Buffer.concat([Buffer.alloc(4), attr(NETNSA_FD, int(ns))]), 'RTM_GETNSID');
    const m = msgs.find((x) => x.type === RTM_NEWNSID);
    if (!m) return 'RTM_GETNSID got no RTM_NEWNSID answer';
    return parseAttrs(m.payload, 4).has(NETNSA_NSID) ? undefined : 'RTM_NEWNSID without NETNSA_NSID';
  } catch (e) {
    return (e as Error).message;
  } finally {
    closeQuietly(ns);
  }
};

/** Creates a veth pair amck0/amck1 in the current namespace, the peer moved to peerNs (fd) if given. */
function createVeth(peerNs?: number): void {
  const peer = Buffer.concat([ifinfo(), strAttr(IFLA_IFNAME, 'amck1'), ...(peerNs !== undefined ? [attr(IFLA_NET_NS_FD, int(peerNs))] : [])]);
  const info = nested(IFLA_LINKINFO, strAttr(IFLA_INFO_KIND, 'veth'), nested(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peer)));
  netlinkRequest(NETLINK_ROUTE, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, Buffer.concat([ifinfo(), strAttr(IFLA_IFNAME, 'amck0'), info]), 'RTM_NEWLINK veth');
}

/** RTM_GETLINK of one device by name in the current namespace: its ifindex and attributes. */
function getLink(name: string): { index: number; attrs: Map<number, Buffer> } {
  const msgs = netlinkRequest(NETLINK_ROUTE, RTM_GETLINK, 0, Buffer.concat([ifinfo(), strAttr(IFLA_IFNAME, name)]), `RTM_GETLINK ${name}`);
  const m = msgs.find((x) => x.type === RTM_NEWLINK);
  if (!m) throw new Error(`RTM_GETLINK ${name}: no answer`);
  return { index: m.payload.readInt32LE(4), attrs: parseAttrs(m.payload, 16) };
}

function openThreadNetns(): number {
  return fs.openSync('/proc/thread-self/ns/net', 'r');
}

/**
 * IFLA_LINK_NETNSID: in a scratch namespace B, a veth whose peer was put in another scratch
 * namespace A must report where its peer lives (the netns id attribute), as dumps of veth pairs
 * across namespaces read it.
 */
export const probeLinkNsid: Probe = () => {
  const r = inScratchNetns(() => {
    const a = openThreadNetns();
    try {
      const u = sys(NR.unshare, CLONE_NEWNET);
      if (u.ret === -1) return `unshare(CLONE_NEWNET): ${errName(u.errno)}`;
      createVeth(a);
      return getLink('amck0').attrs.has(IFLA_LINK_NETNSID) ? undefined : 'the veth does not report IFLA_LINK_NETNSID for its peer';
    } catch (e) {
      return (e as Error).message;
    } finally {
      closeQuietly(a);
    }
  });
  return r;
};

/**
 * IFLA_NEW_IFINDEX: a device moved to another namespace (RTM_SETLINK with IFLA_NET_NS_FD) takes
 * the ifindex asked for there, as restore of devices into a namespace needs. Scratch namespaces.
 */
export const probeNewIfindex: Probe = () =>
  inScratchNetns(() => {
    const a = openThreadNetns();
    let b = -1;
    try {
      createVeth();
      const idx = getLink('amck0').index;
      const u = sys(NR.unshare, CLONE_NEWNET);
      if (u.ret === -1) return `unshare(CLONE_NEWNET): ${errName(u.errno)}`;
      b = openThreadNetns();
      sys(NR.setns, a, CLONE_NEWNET);
      netlinkRequest(NETLINK_ROUTE, RTM_SETLINK, NLM_F_ACK, Buffer.concat([ifinfo(idx), attr(IFLA_NET_NS_FD, int(b)), attr(IFLA_NEW_IFINDEX, int(4242))]), 'RTM_SETLINK to another namespace with IFLA_NEW_IFINDEX');
      sys(NR.setns, b, CLONE_NEWNET);
      const moved = getLink('amck0').index;
      return moved === 4242 ? undefined : `the moved device has ifindex ${moved}, not the 4242 asked for`;
    } catch (e) {
      return (e as Error).message;
    } finally {
      closeQuietly(a);
      closeQuietly(b);
    }
  });

/**
 * Network namespaces outside the tree (veth peers there): amber needs both the peer's netns id
 * (link_nsid) and a chosen ifindex for the restored end (newifindex).
 */
export const probeExternalNetNs: Probe = () => probeLinkNsid() ?? probeNewIfindex();

/** nf_tables in the kernel (NFT_MSG_GETGEN over nfnetlink answers NEWGEN) and the nft tool the network lock runs. */
export const probeNftables: Probe = () => {
  try {
    const msgs = netlinkRequest(NETLINK_NETFILTER, NFT_MSG_GETGEN, 0, Buffer.alloc(4), 'NFT_MSG_GETGEN');
    if (!msgs.some((m) => m.type === NFT_MSG_NEWGEN)) return 'nf_tables did not answer NFT_MSG_GETGEN';
  } catch (e) {
    return `nf_tables: ${(e as Error).message}`;
  }
  const v = spawnSync('nft', ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return `the nft tool does not run: ${v.error?.message ?? v.stderr.trim()}`;
  return undefined;
};

/**
 * Locking the network with nftables as amber does: in a scratch network namespace, nft loads a
 * table shaped like amber's lock (input/output filter hooks, mark, address and port matches) with
 * a set of concatenated address . port keys, and lists it back.
 */
export const probeNetworkLockNftables: Probe = () => {
  const base = probeNftables();
  if (base) return base;
  return inScratchNetns(() => {
    const rules = [
      'table inet amber-check {',
      '  set conns { type ipv4_addr . inet_service . ipv4_addr . inet_service; elements = { 127.0.0.1 . 1 . 127.0.0.1 . 2 } }',
      '  chain input { type filter hook input priority -150; policy accept;',
      '    meta mark 1 accept',
      '    ip saddr . tcp sport . ip daddr . tcp dport @conns drop',
      '    ip saddr 127.0.0.1 ip daddr 127.0.0.1 tcp sport 1 tcp dport 2 drop',
      '  }',
      '  chain output { type filter hook output priority -150; policy accept;',
      '    ip6 saddr ::1 ip6 daddr ::1 tcp sport 2 tcp dport 1 drop',
      '  }',
      '}',
    ].join('\n') + '\n';
    const load = nftLoad(rules);
    if (load.error || load.status !== 0) return `nft could not load a lock table: ${load.error?.message ?? load.stderr.trim()}`;
    const list = spawnSync('nft', ['list', 'table', 'inet', 'amber-check'], { encoding: 'utf8' });
    if (list.status !== 0 || !list.stdout.includes('@conns')) return 'nft did not list the lock table back';
    return undefined;
  });
};

/** An iptables whose save tool is the legacy (x_tables) one: iptables-legacy-save, or iptables-save saying "legacy". */
export const probeIptLegacy: Probe = () => {
  for (const tool of ['iptables-legacy-save', 'iptables-save']) {
    const r = spawnSync(tool, ['-V'], { encoding: 'utf8' });
    if (!r.error && r.status === 0 && /legacy/.test(r.stdout + r.stderr)) return undefined;
  }
  return 'no iptables-legacy-save, and iptables-save is not the legacy one (or not there)';
};
