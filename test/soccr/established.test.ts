import { afterEach, describe, expect, it } from 'vitest';
import { native } from '../../dist/src/native';
import { pause, restore, resume, save, stateFromJSON, stateToJSON } from '../../dist/src/soccr';
import { TCP_ESTABLISHED } from '../../dist/src/soccr/constants';
import {
  AF_INET, AF_INET6, closeAll, closeFd, newSocket, nonblocking, pattern, recvBytes, recvNow, sameBytes, sendSome, setInt,
  sleep, tcpPair, tcpState, track, waitEof,
} from './helpers';

const SOL_SOCKET = 1, SO_ERROR = 4, SOL_TCP = 6, TCP_QUICKACK = 12, SIOCINQ = 0x541b;

afterEach(closeAll);

function soError(fd: number): number {
  return native.getsockopt(fd, SOL_SOCKET, SO_ERROR, 4).readInt32LE(0);
}

for (const [name, family] of [['IPv4', AF_INET], ['IPv6', AF_INET6]] as const) {
  for (const side of ['client', 'server'] as const) {
    describe(`${name}, the ${side} end moves`, () => {
      it('keeps every queued byte, in order, exactly once, both ways', async () => {
        // The end that stays has a small receive buffer, so the moving end's sends back up.
        const pair = tcpPair(family, side === 'client' ? { serverRcvbuf: 4096 } : { clientRcvbuf: 4096 });
        const moving = side === 'client' ? pair.client : pair.server;
        const peer = side === 'client' ? pair.server : pair.client;
        nonblocking(peer);

        const toMoving = pattern(60_000, 1);
        expect(sendSome(peer, toMoving)).toBe(toMoving.length);
        await sleep(20);
        const early = await recvBytes(moving, 1000); // the mover has read a little of it
        expect(sameBytes(early, toMoving.subarray(0, 1000))).toBe('same');

        const toPeer = pattern(8 << 20, 2);
        const accepted = sendSome(moving, toPeer);
        expect(accepted).toBeLessThan(toPeer.length);

        // Let delayed ACKs go out both ways: once the old socket is closed, any segment from the
        // peer would meet a closed port and draw a RST (CRIU drops them with a network lock).
        await sleep(100);
        pause(moving);
        const state = save(moving);
        expect(state.state).toBe(TCP_ESTABLISHED);
        expect(state.family).toBe(family);
        expect(sameBytes(state.recv.data, toMoving.subarray(1000))).toBe('same');
        expect(state.send.data.length).toBeGreaterThan(0);
        expect(state.send.unsent).toBeGreaterThan(0);
        // The send queue is the tail of what the socket accepted.
        expect(sameBytes(state.send.data, toPeer.subarray(accepted - state.send.data.length, accepted))).toBe('same');

        const peerQueued = native.ioctlInt(peer, SIOCINQ);
        closeFd(moving);
        await sleep(20);
        // The peer saw neither FIN nor RST: still established, no error, nothing new to read.
        expect(tcpState(peer)).toBe(TCP_ESTABLISHED);
        expect(soError(peer)).toBe(0);
        expect(native.ioctlInt(peer, SIOCINQ)).toBe(peerQueued);

        // Through JSON, as another process would get it.
        const fresh = track(newSocket(family));
        restore(fresh, stateFromJSON(stateToJSON(state)));
        resume(fresh);
        nonblocking(fresh);

        expect(sameBytes(await recvBytes(peer, accepted), toPeer.subarray(0, accepted))).toBe('same');
        expect(sameBytes(await recvBytes(fresh, toMoving.length - 1000), toMoving.subarray(1000))).toBe('same');
        await sleep(20);
        expect(recvNow(peer)).toBe('eagain');
        expect(recvNow(fresh)).toBe('eagain');

        // And the connection goes on.
        expect(sendSome(fresh, Buffer.from('after the move'))).toBe(14);
        expect((await recvBytes(peer, 14)).toString()).toBe('after the move');
        expect(sendSome(peer, Buffer.from('welcome back'))).toBe(12);
        expect((await recvBytes(fresh, 12)).toString()).toBe('welcome back');
        closeFd(fresh);
        expect(await waitEof(peer)).toBe(true);
      });
    });
  }
}

describe('bytes sent but not yet acknowledged', () => {
  it('are queued as in flight: retransmitted, and the peer keeps one copy', async () => {
    const pair = tcpPair(AF_INET);
    nonblocking(pair.server);
    sendSome(pair.client, Buffer.from('warm-up'));
    expect((await recvBytes(pair.server, 7)).toString()).toBe('warm-up');
    // Delayed-ACK mode: a segment below one MSS is acked only after ~40ms, so right after the
    // send the bytes are on the peer's side but still unacknowledged on ours.
    setInt(pair.server, SOL_TCP, TCP_QUICKACK, 0);
    const data = pattern(1000, 5);
    expect(sendSome(pair.client, data)).toBe(1000);
    pause(pair.client);
    const state = save(pair.client);
    expect(state.send.data.length).toBe(1000);
    expect(state.send.unsent).toBe(0);
    closeFd(pair.client);
    const fresh = track(newSocket(AF_INET));
    restore(fresh, state);
    resume(fresh);
    nonblocking(fresh);
    await sleep(300);
    expect(tcpState(pair.server)).toBe(TCP_ESTABLISHED);
    expect(sameBytes(await recvBytes(pair.server, 2000, 300), data)).toBe('same');
    expect(native.ioctlInt(fresh, 0x5411 /* SIOCOUTQ */)).toBe(0); // acknowledged by now
    sendSome(pair.server, Buffer.from('ok'));
    expect((await recvBytes(fresh, 2)).toString()).toBe('ok');
  });
});
