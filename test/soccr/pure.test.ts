/** The parts of soccr that are plain functions: no sockets, no root. */
import { describe, expect, it } from 'vitest';
import { decodeImage, encodeImage } from '../../src/images';
import * as K from '../../src/soccr/constants';
import { BadStateError } from '../../src/soccr/errors';
import { dataLengths, finFlags, recvStartSeq, refusalReason, sendStartSeq, seqAfter, windowFor } from '../../src/soccr/fin';
import { fromTcpStreamEntry, toTcpStreamEntry, type TcpStreamEntry } from '../../src/soccr/image';
import { TH_ACK, TH_FIN, buildSegment, internetChecksum } from '../../src/soccr/segment';
import { encodeSockaddr, ipv6Bytes, ipv6Text, parseSockaddr } from '../../src/soccr/sockaddr';
import { type TcpConnState, stateFromJSON, stateToJSON, validateState } from '../../src/soccr/state';
import { decodeRepairWindow, encodeRepairOptions, encodeRepairWindow, parseTcpInfo } from '../../src/soccr/structs';

function sample(over: Partial<TcpConnState> = {}): TcpConnState {
  return {
    family: K.AF_INET6,
    local: { address: '::1', port: 30001 },
    remote: { address: '::1', port: 30002 },
    state: K.TCP_ESTABLISHED,
    recv: { seq: 0xfffffff0, data: Buffer.from('unread by the app') },
    send: { seq: 12345, data: Buffer.from('in flight|never sent'), unsent: 10 },
    mss: 65476,
    sack: true,
    timestamps: true,
    wscale: { snd: 7, rcv: 9 },
    timestamp: 0xdeadbeef,
    window: { sndWl1: 0xffffffe0, sndWnd: 65536, maxWindow: 70000, rcvWnd: 65483, rcvWup: 0xfffffff0 },
    nodelay: true,
    cork: false,
    ...over,
  };
}

describe('tcp_stream_entry conversion', () => {
  it('maps every field and puts the receive queue before the send queue', () => {
    const e = toTcpStreamEntry(sample());
    expect({ ...e, extra: undefined }).toEqual({
      inq_len: 17, inq_seq: 0xfffffff0, outq_len: 20, outq_seq: 12345,
      opt_mask: K.TCPI_OPT_TIMESTAMPS | K.TCPI_OPT_SACK | K.TCPI_OPT_WSCALE, snd_wscale: 7, rcv_wscale: 9, mss_clamp: 65476,
      timestamp: 0xdeadbeef, cork: false, nodelay: true, unsq_len: 10,
      snd_wl1: 0xffffffe0, snd_wnd: 65536, max_window: 70000, rcv_wnd: 65483, rcv_wup: 0xfffffff0, extra: undefined,
    });
    expect(e.extra.toString()).toBe('unread by the appin flight|never sent');
  });

  it('round-trips through the image layer', () => {
    const s = sample();
    const [entry] = decodeImage('TCP_STREAM', encodeImage('TCP_STREAM', [toTcpStreamEntry(s)]));
    const back = fromTcpStreamEntry(entry as TcpStreamEntry, { family: s.family, state: s.state, local: s.local, remote: s.remote });
    expect(back).toEqual(s);
  });

  it('reads an entry without the optional fields (old images)', () => {
    const e: TcpStreamEntry = { inq_len: 1, inq_seq: 10, outq_len: 2, outq_seq: 20, opt_mask: K.TCPI_OPT_SACK, snd_wscale: 0, mss_clamp: 1460, extra: Buffer.from('abc') };
    const s = fromTcpStreamEntry(e, { family: K.AF_INET, state: K.TCP_ESTABLISHED, local: { address: '10.0.0.1', port: 1 }, remote: { address: '10.0.0.2', port: 2 } });
    expect(s.send).toEqual({ seq: 20, data: Buffer.from('bc'), unsent: 0 });
    expect(s.wscale).toBeUndefined();
    expect(s.window).toBeUndefined();
    expect([s.sack, s.timestamps, s.timestamp, s.nodelay, s.cork]).toEqual([true, false, 0, false, false]);
  });

  it('refuses entries that contradict themselves', () => {
    const id = { family: K.AF_INET, state: K.TCP_ESTABLISHED, local: { address: '10.0.0.1', port: 1 }, remote: { address: '10.0.0.2', port: 2 } };
    const base: TcpStreamEntry = { inq_len: 1, inq_seq: 10, outq_len: 2, outq_seq: 20, opt_mask: 0, snd_wscale: 0, mss_clamp: 1460, extra: Buffer.from('abc') };
    expect(() => fromTcpStreamEntry({ ...base, extra: Buffer.from('ab') }, id)).toThrow(BadStateError);
    expect(() => fromTcpStreamEntry({ ...base, unsq_len: 3 }, id)).toThrow(/unsq_len/);
    expect(() => fromTcpStreamEntry({ ...base, snd_wnd: 5 }, id)).toThrow(/all-or-nothing/);
    expect(() => fromTcpStreamEntry(base, { ...id, state: K.TCP_TIME_WAIT })).toThrow(/TIME_WAIT/);
  });
});

describe('TcpConnState', () => {
  it('survives JSON', () => {
    const s = sample();
    const text = stateToJSON(s);
    expect(typeof JSON.parse(text).recv.data).toBe('string');
    expect(stateFromJSON(text)).toEqual(s);
  });

  it('validation names the bad field', () => {
    const bad: [Partial<TcpConnState>, RegExp][] = [
      [{ family: 1 }, /family/],
      [{ local: { address: '1.2.3.4', port: 1 } }, /local\.address/],
      [{ remote: { address: '::1', port: 0 } }, /remote\.port/],
      [{ state: K.TCP_LISTEN }, /LISTEN/],
      [{ send: { seq: 1, data: Buffer.alloc(2), unsent: 3 } }, /send\.unsent/],
      [{ wscale: { snd: 15, rcv: 0 } }, /wscale/],
      [{ window: { sndWl1: 0, sndWnd: 10, maxWindow: 5, rcvWnd: 0, rcvWup: 0 } }, /max_window/],
      [{ recv: { seq: -1, data: Buffer.alloc(0) } }, /recv/],
    ];
    for (const [over, msg] of bad) expect(() => validateState(sample(over))).toThrow(msg);
    expect(() => validateState(sample())).not.toThrow();
  });
});

describe('half-close bookkeeping', () => {
  it('knows which FINs each state implies', () => {
    expect(finFlags(K.TCP_CLOSING)).toEqual({ ourFin: true, ourFinAcked: false, theirFin: true, ourFinFirst: true });
    expect(finFlags(K.TCP_LAST_ACK)).toEqual({ ourFin: true, ourFinAcked: false, theirFin: true, ourFinFirst: false });
    expect(finFlags(K.TCP_FIN_WAIT2)?.ourFinAcked).toBe(true);
    for (const st of [K.TCP_SYN_SENT, K.TCP_SYN_RECV, K.TCP_TIME_WAIT, K.TCP_CLOSE, K.TCP_LISTEN, 99]) {
      expect(finFlags(st)).toBeUndefined();
      expect(refusalReason(st)).toBeTruthy();
    }
  });

  it('takes an unacknowledged FIN out of the queue counts', () => {
    expect(dataLengths(K.TCP_ESTABLISHED, 10, 4)).toEqual({ outq: 10, unsent: 4 });
    expect(dataLengths(K.TCP_FIN_WAIT1, 11, 5)).toEqual({ outq: 10, unsent: 4 }); // FIN unsent
    expect(dataLengths(K.TCP_FIN_WAIT1, 11, 0)).toEqual({ outq: 10, unsent: 0 }); // FIN sent
    expect(dataLengths(K.TCP_FIN_WAIT2, 0, 0)).toEqual({ outq: 0, unsent: 0 });
  });

  it('finds the first byte of each queue, across the 2^32 wrap', () => {
    expect(recvStartSeq(K.TCP_ESTABLISHED, 5, 10)).toBe(0xfffffffb);
    expect(recvStartSeq(K.TCP_CLOSE_WAIT, 5, 10)).toBe(0xfffffffa);
    expect(sendStartSeq(K.TCP_FIN_WAIT2, 100, 0)).toBe(99);
    expect(sendStartSeq(K.TCP_CLOSE_WAIT, 100, 3)).toBe(97);
    expect(seqAfter(1, 0xffffffff)).toBe(true);
    expect(seqAfter(0xffffffff, 1)).toBe(false);
  });

  it('clamps a window to what rcv_nxt allows before the replayed FIN', () => {
    const w = { sndWl1: 101, sndWnd: 10, maxWindow: 10, rcvWnd: 0, rcvWup: 101 };
    expect(windowFor(w, 100)).toEqual({ ...w, sndWl1: 100, rcvWup: 100 });
    expect(windowFor(w, 101)).toEqual(w);
  });
});

describe('socket addresses', () => {
  it('writes IPv6 text the RFC 5952 way', () => {
    const cases = ['::1', '::', '2001:db8::1', '1:0:0:1::1', '2001:db8:0:1:1:1:1:1', 'fe80::1:2', '::ffff:127.0.0.1', '1::'];
    for (const t of cases) expect(ipv6Text(ipv6Bytes(t))).toBe(t);
    expect(ipv6Text(ipv6Bytes('2001:DB8:0:0:0:0:0:1'))).toBe('2001:db8::1');
    expect(ipv6Bytes('::1.2.3.4').toString('hex')).toBe('00000000000000000000000001020304');
  });

  it('round-trips sockaddr_in and sockaddr_in6', () => {
    const v4 = encodeSockaddr(K.AF_INET, { address: '192.168.1.20', port: 31337 });
    expect(v4.toString('hex')).toBe('02007a69c0a801140000000000000000');
    expect(parseSockaddr(v4)).toEqual({ family: K.AF_INET, endpoint: { address: '192.168.1.20', port: 31337 } });
    const ep = { address: 'fe80::1', port: 443, scopeId: 3, flowinfo: 0x12345 };
    expect(parseSockaddr(encodeSockaddr(K.AF_INET6, ep))).toEqual({ family: K.AF_INET6, endpoint: ep });
    expect(() => parseSockaddr(Buffer.from([1, 0, 0, 0]))).toThrow(RangeError);
  });
});

describe('replayed segments', () => {
  it('computes the RFC 1071 checksum', () => {
    const ip = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    expect(internetChecksum(ip).toString(16)).toBe('b861');
  });

  it('builds IPv4 and IPv6 packets whose checksums verify', () => {
    const spec = { srcPort: 30002, dstPort: 30001, seq: 0xfffffffe, ack: 7, flags: TH_FIN | TH_ACK, window: 512 };
    const v4 = buildSegment({ ...spec, src: Buffer.from([127, 0, 0, 2]), dst: Buffer.from([127, 0, 0, 1]) });
    expect(v4.length).toBe(40);
    expect(internetChecksum(v4.subarray(0, 20))).toBe(0);
    const pseudo4 = Buffer.concat([v4.subarray(12, 20), Buffer.from([0, 6, 0, 20])]);
    expect(internetChecksum(pseudo4, v4.subarray(20))).toBe(0);
    expect(v4.readUInt32BE(24)).toBe(0xfffffffe);
    expect(v4[33]).toBe(TH_FIN | TH_ACK);

    const v6 = buildSegment({ ...spec, src: ipv6Bytes('::2'), dst: ipv6Bytes('::1') });
    expect(v6.length).toBe(60);
    expect(v6[0] >> 4).toBe(6);
    expect(v6.readUInt16BE(4)).toBe(20);
    const pseudo6 = Buffer.concat([v6.subarray(8, 40), Buffer.from([0, 0, 0, 20, 0, 0, 0, 6])]);
    expect(internetChecksum(pseudo6, v6.subarray(40))).toBe(0);
    expect(() => buildSegment({ ...spec, src: Buffer.alloc(4), dst: Buffer.alloc(16) })).toThrow(RangeError);
  });
});

describe('struct layouts', () => {
  it('TCP_REPAIR_OPTIONS: code/value pairs, both window shifts in one value', () => {
    const b = encodeRepairOptions({ mss: 1460, wscale: { snd: 7, rcv: 9 }, sack: true, timestamps: true });
    const pairs = Array.from({ length: b.length / 8 }, (_, i) => [b.readUInt32LE(i * 8), b.readUInt32LE(i * 8 + 4)]);
    expect(pairs).toEqual([[K.TCPOPT_MSS, 1460], [K.TCPOPT_WINDOW, 7 | (9 << 16)], [K.TCPOPT_SACK_PERM, 0], [K.TCPOPT_TIMESTAMP, 0]]);
    expect(encodeRepairOptions({ mss: 536, sack: false, timestamps: false }).length).toBe(8);
  });

  it('tcp_repair_window and the head of tcp_info', () => {
    const w = { sndWl1: 1, sndWnd: 2, maxWindow: 3, rcvWnd: 4, rcvWup: 0xffffffff };
    expect(decodeRepairWindow(encodeRepairWindow(w))).toEqual(w);
    expect(encodeRepairWindow(w).length).toBe(20);
    expect(parseTcpInfo(Buffer.from([8, 0, 0, 0, 0, 7, 0x97, 0]))).toEqual({ state: K.TCP_CLOSE_WAIT, options: 7, sndWscale: 7, rcvWscale: 9 });
  });
});
