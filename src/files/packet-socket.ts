/**
 * AF_PACKET sockets (packet_sock_entry): bound protocol and interface and the SOL_PACKET options
 * from a duplicate. mmap'ed rings, multicast memberships, fanout groups and packets waiting to be
 * read are refused, naming the socket: the first three need state amber does not rebuild yet,
 * and captured packets cannot be queued again.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { queuedBytes } from '../net/socket-queue';
import { ImageError, UnsupportedError } from '../errors';
import { Entry, FILES_IMG } from '../images';
import { netlinkRequest, NLM_F_DUMP, parseAttrs } from '../net/netlink';
import { AF_PACKET } from '../net/sockaddr';
import { dumpSockOpts, restoreSockOpts } from '../net/sk-opts';
import { getInt, getIntOptional, setInt } from '../net/sockopt';
import { isSocket, memo, socketInfo } from './socket-info';
import { FdType, FileDumpContext, FileKind, NO_FOWN, OpenFd } from './types';

const SOL_PACKET = 263;
const PACKET_AUXDATA = 8, PACKET_ORIGDEV = 9, PACKET_VERSION = 10, PACKET_RESERVE = 12, PACKET_LOSS = 14;
const PACKET_VNET_HDR = 15, PACKET_TIMESTAMP = 17, PACKET_FANOUT = 18;
const PACKET_SHOW_MCLIST = 2, PACKET_SHOW_RING_CFG = 4;
const PACKET_DIAG_MCLIST = 1, PACKET_DIAG_RX_RING = 2, PACKET_DIAG_TX_RING = 3;
const O_CLOEXEC = 0o2000000, O_NONBLOCK = 0o4000, F_SETFL = 4, SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4, SOCK_DIAG_BY_FAMILY = 20;

interface PacketDiag { rings: boolean; mclist: boolean }

function packetDiag(ctx: FileDumpContext): Map<number, PacketDiag> {
  return memo(ctx, 'packet-diag', () => {
    const req = Buffer.alloc(20);
    req.writeUInt8(AF_PACKET, 0);
    req.writeUInt32LE(PACKET_SHOW_MCLIST | PACKET_SHOW_RING_CFG, 8);
    req.writeUInt32LE(0xffffffff, 12);
    req.writeUInt32LE(0xffffffff, 16);
    const out = new Map<number, PacketDiag>();
    for (const m of netlinkRequest(NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, req, 'sock_diag (packet sockets)')) {
      const attrs = parseAttrs(m.payload, 16);
      out.set(m.payload.readUInt32LE(4), {
        rings: attrs.has(PACKET_DIAG_RX_RING) || attrs.has(PACKET_DIAG_TX_RING),
        mclist: (attrs.get(PACKET_DIAG_MCLIST)?.length ?? 0) > 0,
      });
    }
    return out;
  });
}

export const packetSocket: FileKind = {
  name: 'packet socket',
  type: FdType.PACKETSK,
  matches: (f, ctx) => isSocket(f) && socketInfo(f, ctx).family === AF_PACKET,
  dump(f: OpenFd, id: number, ctx) {
    const { fd, type } = socketInfo(f, ctx);
    const res = `fd ${f.fd} (${f.link})`;
    const diag = packetDiag(ctx).get(f.stat.ino);
    if (diag?.rings) throw new UnsupportedError(f.pid, res, 'packet socket with an mmap\'ed ring (PACKET_RX_RING/TX_RING) is not supported');
    if (diag?.mclist) throw new UnsupportedError(f.pid, res, 'packet socket with multicast memberships (PACKET_ADD_MEMBERSHIP) is not supported');
    const fanout = getIntOptional(fd, SOL_PACKET, PACKET_FANOUT) ?? 0;
    if (fanout) throw new UnsupportedError(f.pid, res, 'packet socket in a fanout group is not supported');
    const queued = queuedBytes(fd);
    if (queued > 0) throw new UnsupportedError(f.pid, res, `packet socket has captured packets (${queued} bytes) waiting to be read, which cannot be queued again`);
    const ll = native.getsockname(fd);
    const opt = (name: number) => getIntOptional(fd, SOL_PACKET, name) ?? 0;
    const psk: Entry = {
      id, type, protocol: ll.readUInt16LE(2), flags: f.info.flags & ~O_CLOEXEC, ifindex: ll.readInt32LE(4),
      fown: NO_FOWN, opts: dumpSockOpts(fd), version: opt(PACKET_VERSION), reserve: opt(PACKET_RESERVE),
      aux_data: opt(PACKET_AUXDATA) !== 0, orig_dev: opt(PACKET_ORIGDEV) !== 0, vnet_hdr: opt(PACKET_VNET_HDR) !== 0,
      loss: opt(PACKET_LOSS) !== 0, timestamp: opt(PACKET_TIMESTAMP), copy_thresh: 0, mclist: [],
    };
    return { type: FdType.PACKETSK, id, psk };
  },
  open(entry: Entry) {
    const e = entry.psk;
    // Created with protocol 0 (receiving nothing) and bound to the protocol once configured.
    const fd = native.socket(AF_PACKET, e.type | SOCK_CLOEXEC, 0);
    try {
      restoreSockOpts(fd, e.opts);
      const set = (name: number, v: number) => { if (getInt(fd, SOL_PACKET, name) !== v) setInt(fd, SOL_PACKET, name, v); };
      set(PACKET_VERSION, e.version);
      set(PACKET_RESERVE, e.reserve);
      set(PACKET_AUXDATA, e.aux_data ? 1 : 0);
      set(PACKET_ORIGDEV, e.orig_dev ? 1 : 0);
      set(PACKET_VNET_HDR, e.vnet_hdr ? 1 : 0);
      set(PACKET_LOSS, e.loss ? 1 : 0);
      set(PACKET_TIMESTAMP, e.timestamp);
      const ll = Buffer.alloc(20);
      ll.writeUInt16LE(AF_PACKET, 0);
      ll.writeUInt16LE(e.protocol, 2);
      ll.writeInt32LE(e.ifindex, 4);
      native.bind(fd, ll);
      if (e.flags & O_NONBLOCK) native.fcntl(fd, F_SETFL, O_NONBLOCK);
    } catch (err) {
      fs.closeSync(fd);
      throw new ImageError(FILES_IMG, entry.id, `packet socket (ifindex ${e.ifindex}): cannot make it again: ${(err as Error).message}`, { cause: err });
    }
    return { fd };
  },
};
