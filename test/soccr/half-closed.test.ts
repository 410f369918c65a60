/**
 * The states after a shutdown. Each scenario drives a loopback connection into the state with
 * bytes queued both ways (the moving end's send queue backed up against a small receive
 * buffer where the state allows), moves the client end, and checks that the conversation
 * finishes as it would have: every byte once, EOFs where FINs were, and the TCP state
 * machine continuing from the saved state.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { native } from '../../dist/src/native';
import { pause, restore, resume, save } from '../../dist/src/soccr';
import * as K from '../../dist/src/soccr/constants';
import {
  AF_INET, AF_INET6, closeAll, closeFd, newSocket, nonblocking, pattern, recvBytes, recvNow, sameBytes, sendSome,
  sleep, tcpPair, tcpState, track, waitEof, waitState, type Pair,
} from './helpers';

afterEach(closeAll);

interface Queued {
  /** Bytes the peer sent that the mover has not read. */
  toMover: Buffer;
  /** Bytes the mover's send() accepted, none read by the peer yet. */
  toPeer: Buffer;
}

interface Scenario {
  state: number;
  moverFin: boolean;
  peerFin: boolean;
  /** State the mover reaches once the peer has read everything (and acked our FIN). */
  settles: number;
  /** The peer's receive buffer is small so the mover's sends back up. */
  backlog: boolean;
  setup(p: Pair): Promise<Queued>;
}

const fromPeer = pattern(30_000, 3);

async function peerSends(p: Pair, thenShutdown: boolean): Promise<Buffer> {
  expect(sendSome(p.server, fromPeer)).toBe(fromPeer.length);
  if (thenShutdown) native.shutdown(p.server, K.SHUT_WR);
  await sleep(20);
  // The mover reads a little, so its receive queue does not start at the first byte.
  expect(sameBytes(await recvBytes(p.client, 500), fromPeer.subarray(0, 500))).toBe('same');
  return fromPeer.subarray(500);
}

function moverFloods(p: Pair): Buffer {
  const data = pattern(4 << 20, 4);
  const n = sendSome(p.client, data);
  expect(n).toBeLessThan(data.length);
  return data.subarray(0, n);
}

const SCENARIOS: Record<string, Scenario> = {
  FIN_WAIT1: {
    state: K.TCP_FIN_WAIT1, moverFin: true, peerFin: false, settles: K.TCP_FIN_WAIT2, backlog: true,
    async setup(p) {
      const toMover = await peerSends(p, false);
      const toPeer = moverFloods(p);
      native.shutdown(p.client, K.SHUT_WR); // the FIN waits behind the unsent bytes
      return { toMover, toPeer };
    },
  },
  FIN_WAIT2: {
    state: K.TCP_FIN_WAIT2, moverFin: true, peerFin: false, settles: K.TCP_FIN_WAIT2, backlog: false,
    async setup(p) {
      const toMover = await peerSends(p, false);
      native.shutdown(p.client, K.SHUT_WR); // nothing queued: FIN sent and acked at once
      return { toMover, toPeer: Buffer.alloc(0) };
    },
  },
  CLOSE_WAIT: {
    state: K.TCP_CLOSE_WAIT, moverFin: false, peerFin: true, settles: K.TCP_CLOSE_WAIT, backlog: true,
    async setup(p) {
      const toMover = await peerSends(p, true);
      return { toMover, toPeer: moverFloods(p) };
    },
  },
  LAST_ACK: {
    state: K.TCP_LAST_ACK, moverFin: true, peerFin: true, settles: K.TCP_CLOSE, backlog: true,
    async setup(p) {
      const toMover = await peerSends(p, true);
      const toPeer = moverFloods(p);
      native.shutdown(p.client, K.SHUT_WR);
      return { toMover, toPeer };
    },
  },
  CLOSING: {
    // Our FIN is stuck behind unsent bytes when the peer's FIN arrives: a simultaneous close.
    state: K.TCP_CLOSING, moverFin: true, peerFin: true, settles: K.TCP_CLOSE, backlog: true,
    async setup(p) {
      const toPeer = moverFloods(p);
      native.shutdown(p.client, K.SHUT_WR);
      const toMover = await peerSends(p, true);
      return { toMover, toPeer };
    },
  },
};

for (const [family, fname] of [[AF_INET, 'IPv4'], [AF_INET6, 'IPv6']] as const) {
  describe(`${fname} half-closed connections`, () => {
    for (const [name, sc] of Object.entries(SCENARIOS)) {
      it(`moves a connection in ${name}`, async () => {
        const p = tcpPair(family, sc.backlog ? { serverRcvbuf: 4096 } : {});
        nonblocking(p.server);
        const q = await sc.setup(p);
        if (!sc.backlog && sc.moverFin) expect(await waitEof(p.server)).toBe(true);
        await sleep(100); // let delayed ACKs out before the old socket goes
        expect(tcpState(p.client)).toBe(sc.state);

        pause(p.client);
        const saved = save(p.client);
        expect(saved.state).toBe(sc.state);
        expect(sameBytes(saved.recv.data, q.toMover)).toBe('same');
        if (sc.backlog) {
          expect(saved.send.data.length).toBeGreaterThan(0);
          expect(saved.send.unsent).toBeGreaterThan(0);
        } else {
          expect(saved.send.data.length).toBe(0);
        }
        const peerState = tcpState(p.server);
        closeFd(p.client);
        await sleep(20);
        expect(tcpState(p.server)).toBe(peerState);

        const fresh = track(newSocket(family));
        restore(fresh, saved);
        expect(tcpState(fresh)).toBe(sc.state);
        resume(fresh);
        nonblocking(fresh);

        // Everything the mover had accepted reaches the peer, then its FIN if it sent one.
        expect(sameBytes(await recvBytes(p.server, q.toPeer.length), q.toPeer)).toBe('same');
        if (sc.moverFin) expect(await waitEof(p.server)).toBe(true);
        else expect(recvNow(p.server)).toBe('eagain');
        // Everything the peer sent reaches the mover, then the peer's FIN if it sent one.
        expect(sameBytes(await recvBytes(fresh, q.toMover.length), q.toMover)).toBe('same');
        if (sc.peerFin) expect(await waitEof(fresh)).toBe(true);
        else expect(recvNow(fresh)).toBe('eagain');
        expect(await waitState(fresh, sc.settles)).toBe(sc.settles);

        // Whichever direction is still open carries new data.
        if (!sc.moverFin) {
          sendSome(fresh, Buffer.from('mover again'));
          expect((await recvBytes(p.server, 11)).toString()).toBe('mover again');
        }
        if (!sc.peerFin) {
          sendSome(p.server, Buffer.from('peer again'));
          expect((await recvBytes(fresh, 10)).toString()).toBe('peer again');
        }
        if (!sc.moverFin) {
          closeFd(fresh);
          expect(await waitEof(p.server)).toBe(true);
        }
        if (!sc.peerFin) {
          native.shutdown(p.server, K.SHUT_WR);
          expect(await waitEof(fresh)).toBe(true);
        }
      });
    }
  });
}

describe('a FIN on the wire, not yet acknowledged', () => {
  it('FIN_WAIT1 with nothing unsent: the FIN is queued as sent and the peer acks it', async () => {
    const SOL_TCP = 6, TCP_QUICKACK = 12;
    const p = tcpPair(AF_INET);
    nonblocking(p.server);
    sendSome(p.client, Buffer.from('last words'));
    expect((await recvBytes(p.server, 10)).toString()).toBe('last words');
    await sleep(50);
    // The peer acks a FIN late (it expects its application to answer with its own FIN), so
    // just after the shutdown our FIN has gone out and is unacknowledged.
    const b = Buffer.alloc(4);
    native.setsockopt(p.server, SOL_TCP, TCP_QUICKACK, b);
    native.shutdown(p.client, K.SHUT_WR);
    pause(p.client);
    const saved = save(p.client);
    expect(saved.state).toBe(K.TCP_FIN_WAIT1);
    expect(saved.send.data.length).toBe(0);
    closeFd(p.client);
    const fresh = track(newSocket(AF_INET));
    restore(fresh, saved);
    resume(fresh);
    nonblocking(fresh);
    expect(await waitEof(p.server)).toBe(true);
    expect(await waitState(fresh, K.TCP_FIN_WAIT2)).toBe(K.TCP_FIN_WAIT2);
    sendSome(p.server, Buffer.from('reply'));
    expect((await recvBytes(fresh, 5)).toString()).toBe('reply');
    native.shutdown(p.server, K.SHUT_WR);
    expect(await waitEof(fresh)).toBe(true);
  });
});
