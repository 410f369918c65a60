/**
 * Netlink sockets (netlink_sk_entry): protocol, port id, multicast groups and connected
 * destination from getsockname/getpeername and NETLINK_LIST_MEMBERSHIPS on a duplicate; remade
 * by bind/connect and NETLINK_ADD_MEMBERSHIP. Messages waiting to be read come from the kernel and
 * cannot be queued again: such a socket is refused.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { queuedBytes } from '../net/socket-queue';
import { ImageError, UnsupportedError } from '../errors';
import { Entry, FILES_IMG } from '../images';
import { AF_NETLINK } from '../net/sockaddr';
import { dumpSockOpts, restoreSockOpts } from '../net/sk-opts';
import { getInt, getIntOptional, setInt } from '../net/sockopt';
import { isSocket, socketInfo } from './socket-info';
import { FdType, FileKind, NO_FOWN, OpenFd } from './types';

const SOL_NETLINK = 270;
const NETLINK_ADD_MEMBERSHIP = 1, NETLINK_LIST_MEMBERSHIPS = 9;
const NETLINK_INT_OPTS = [3 /* PKTINFO */, 4 /* BROADCAST_ERROR */, 5 /* NO_ENOBUFS */, 8 /* LISTEN_ALL_NSID */, 10 /* CAP_ACK */, 11 /* EXT_ACK */, 12 /* GET_STRICT_CHK */];
const O_CLOEXEC = 0o2000000, O_NONBLOCK = 0o4000, F_SETFL = 4, SOCK_CLOEXEC = 0o2000000;
const TCP_ESTABLISHED = 1, TCP_CLOSE = 7;

function nlAddr(portid: number, groups: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16LE(AF_NETLINK, 0);
  b.writeUInt32LE(portid >>> 0, 4);
  b.writeUInt32LE(groups >>> 0, 8);
  return b;
}

function peer(fd: number): Buffer | undefined {
  try {
    return native.getpeername(fd);
  } catch {
    return undefined;
  }
}

export const netlinkSocket: FileKind = {
  name: 'netlink socket',
  type: FdType.NETLINKSK,
  matches: (f, ctx) => isSocket(f) && socketInfo(f, ctx).family === AF_NETLINK,
  dump(f: OpenFd, id: number, ctx) {
    const { fd, protocol, type } = socketInfo(f, ctx);
    const queued = queuedBytes(fd);
    if (queued > 0) throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `netlink socket (protocol ${protocol}) has ${queued} bytes of messages from the kernel waiting to be read, which cannot be queued again`);
    const own = native.getsockname(fd);
    const memberships = native.getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, 128);
    const groups: number[] = [];
    for (let i = 0; i + 4 <= memberships.length; i += 4) groups.push(memberships.readUInt32LE(i));
    while (groups.length && groups[groups.length - 1] === 0) groups.pop();
    const dst = peer(fd);
    const dstPortid = dst ? dst.readUInt32LE(4) : 0, dstGroup = dst ? dst.readUInt32LE(8) : 0;
    const intOpts: Entry[] = [];
    for (const name of NETLINK_INT_OPTS) {
      const value = getIntOptional(fd, SOL_NETLINK, name);
      if (value !== undefined) intOpts.push({ level: SOL_NETLINK, name, value });
    }
    return {
      type: FdType.NETLINKSK, id,
      nlsk: {
        id, ino: f.stat.ino, protocol, state: dstPortid || dstGroup ? TCP_ESTABLISHED : TCP_CLOSE, flags: f.info.flags & ~O_CLOEXEC,
        portid: own.readUInt32LE(4), groups, dst_portid: dstPortid, dst_group: dstGroup,
        fown: NO_FOWN, opts: dumpSockOpts(fd), int_opts: intOpts, sock_type: type,
      },
    };
  },
  open(entry: Entry) {
    const e = entry.nlsk;
    const fd = native.socket(AF_NETLINK, (e.sock_type || 3 /* SOCK_RAW */) | SOCK_CLOEXEC, e.protocol);
    try {
      restoreSockOpts(fd, e.opts);
      const groups: number[] = e.groups ?? [];
      // A port id of 0 means the socket was never bound: it autobinds again on first send.
      if (e.portid || groups[0]) native.bind(fd, nlAddr(e.portid, groups[0] ?? 0));
      for (let w = 1; w < groups.length; w++) {
        for (let bit = 0; bit < 32; bit++) if ((groups[w] >>> bit) & 1) setInt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, w * 32 + bit + 1);
      }
      if (e.dst_portid || e.dst_group) native.connect(fd, nlAddr(e.dst_portid, e.dst_group));
      for (const o of e.int_opts ?? []) if (getInt(fd, o.level, o.name) !== o.value) setInt(fd, o.level, o.name, o.value);
      if (e.flags & O_NONBLOCK) native.fcntl(fd, F_SETFL, O_NONBLOCK);
    } catch (err) {
      fs.closeSync(fd);
      throw new ImageError(FILES_IMG, entry.id, `netlink socket (protocol ${e.protocol}, port ${e.portid}): cannot make it again: ${(err as Error).message}`, { cause: err });
    }
    return { fd };
  },
};
