/** What soccr will not do, and says so with a typed error naming the state or the step. */
import { afterEach, describe, expect, it } from 'vitest';
import { native } from '../../dist/src/native';
import { BadStateError, SoccrError, TcpStateError, pause, restore, resume, save } from '../../dist/src/soccr';
import * as K from '../../dist/src/soccr/constants';
import {
  AF_INET, AF_INET6, closeAll, closeFd, encodeAddr, newSocket, nonblocking, pattern, recvBytes, sameBytes, sendSome,
  sleep, tcpPair, tcpState, track,
} from './helpers';

afterEach(closeAll);

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('states soccr refuses', () => {
  it('LISTEN: pause says a listener is not a connection', () => {
    const p = tcpPair(AF_INET);
    const e = thrown(() => pause(p.listener));
    expect(e).toBeInstanceOf(TcpStateError);
    expect((e as InstanceType<typeof TcpStateError>).stateName).toBe('LISTEN');
  });

  it('CLOSE: a socket that never connected, and one the peer reset', async () => {
    const lone = track(newSocket(AF_INET));
    pause(lone);
    expect((thrown(() => save(lone)) as InstanceType<typeof TcpStateError>).stateName).toBe('CLOSE');

    const p = tcpPair(AF_INET);
    sendSome(p.client, Buffer.from('never read'));
    await sleep(20);
    closeFd(p.server); // unread data: the close sends a RST
    await sleep(20);
    expect(tcpState(p.client)).toBe(K.TCP_CLOSE);
    pause(p.client);
    const e = thrown(() => save(p.client));
    expect(e).toBeInstanceOf(TcpStateError);
    expect(e.message).toContain('CLOSE');
  });

  it('SYN_SENT: a handshake the listener has not answered', () => {
    const listener = track(newSocket(AF_INET));
    native.bind(listener, encodeAddr(AF_INET, 0));
    native.listen(listener, 0); // room for one queued connection; further SYNs are dropped
    const port = native.getsockname(listener).readUInt16BE(2);
    const first = track(newSocket(AF_INET));
    native.connect(first, encodeAddr(AF_INET, port));
    const second = track(newSocket(AF_INET));
    nonblocking(second);
    expect(thrown(() => native.connect(second, encodeAddr(AF_INET, port)))).toMatchObject({ code: 'EINPROGRESS' });
    expect(tcpState(second)).toBe(K.TCP_SYN_SENT);
    pause(second);
    const e = thrown(() => save(second));
    expect(e).toBeInstanceOf(TcpStateError);
    expect((e as InstanceType<typeof TcpStateError>).state).toBe(K.TCP_SYN_SENT);
  });
});

describe('what a connection may hold but soccr cannot carry', () => {
  it('urgent (MSG_OOB) data: reads stop at it, so save refuses instead of cutting the queue', async () => {
    const MSG_OOB = 1;
    const p = tcpPair(AF_INET);
    sendSome(p.server, Buffer.from('abc'));
    native.sendmsg(p.server, Buffer.from('!'), null, null, MSG_OOB);
    sendSome(p.server, Buffer.from('def'));
    await sleep(50);
    pause(p.client);
    const e = thrown(() => save(p.client));
    expect(e).toBeInstanceOf(SoccrError);
    expect((e as InstanceType<typeof SoccrError>).step).toBe('read receive queue');
    expect(e.message).toMatch(/7 bytes queued but only 3 readable.*urgent/);
  });
});

describe('misuse', () => {
  it('save before pause', () => {
    const p = tcpPair(AF_INET);
    const e = thrown(() => save(p.client));
    expect(e).toBeInstanceOf(SoccrError);
    expect((e as InstanceType<typeof SoccrError>).step).toBe('check repair mode');
    expect((e as InstanceType<typeof SoccrError>).fd).toBe(p.client);
  });

  it('restore onto a socket of the other family, or from a state that cannot be', async () => {
    const p = tcpPair(AF_INET);
    await sleep(50);
    pause(p.client);
    const state = save(p.client);
    const v6 = track(newSocket(AF_INET6));
    expect((thrown(() => restore(v6, state)) as InstanceType<typeof SoccrError>).step).toBe('check socket');
    const v4 = track(newSocket(AF_INET));
    const e = thrown(() => restore(v4, { ...state, state: K.TCP_TIME_WAIT }));
    expect(e).toBeInstanceOf(BadStateError);
    expect(e.message).toContain('TIME_WAIT');
    expect(thrown(() => restore(v4, { ...state, send: { ...state.send, unsent: 5 } }))).toBeInstanceOf(BadStateError);
    // The original is still paused and intact: resume it and it works on.
    resume(p.client);
    nonblocking(p.server);
    sendSome(p.client, Buffer.from('still here'));
    expect((await recvBytes(p.server, 10)).toString()).toBe('still here');
  });

  it('a failed restore leaves a socket that closes without a word to the peer', async () => {
    const p = tcpPair(AF_INET);
    await sleep(50);
    pause(p.client);
    const state = save(p.client);
    // The old socket is still there with this four-tuple, so the repaired connect fails.
    const fresh = track(newSocket(AF_INET));
    const e = thrown(() => restore(fresh, state));
    expect((e as InstanceType<typeof SoccrError>).step).toBe('connect');
    closeFd(fresh);
    await sleep(20);
    expect(tcpState(p.server)).toBe(K.TCP_ESTABLISHED);
  });
});

describe('queues larger than a fresh socket takes', () => {
  it('raises the buffers for the restore, then leaves autotuning on', async () => {
    const SOL_SOCKET = 1, SO_RCVBUF = 8, SO_BUF_LOCK = 72;
    const p = tcpPair(AF_INET, { clientRcvbuf: 4 << 20 });
    nonblocking(p.server);
    const big = pattern(3 << 20, 9);
    const sent = sendSome(p.server, big);
    await sleep(100);
    pause(p.client);
    const state = save(p.client);
    expect(state.recv.data.length).toBe(sent);
    expect(sent).toBeGreaterThan(1 << 20);
    closeFd(p.client);
    const fresh = track(newSocket(AF_INET));
    restore(fresh, state);
    resume(fresh);
    nonblocking(fresh);
    expect(native.getsockopt(fresh, SOL_SOCKET, SO_BUF_LOCK, 4).readInt32LE(0)).toBe(0);
    expect(native.getsockopt(fresh, SOL_SOCKET, SO_RCVBUF, 4).readInt32LE(0)).toBeGreaterThan(1 << 20); // forced up from the 128 KiB default
    expect(sameBytes(await recvBytes(fresh, sent), big.subarray(0, sent))).toBe('same');
    sendSome(p.server, Buffer.from('tail'));
    expect((await recvBytes(fresh, 4)).toString()).toBe('tail');
  });
});
