/** One process saves a live connection, another restores it and finishes the conversation. */
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { pause, save, stateToJSON } from '../../dist/src/soccr';
import {
  AF_INET, AF_INET6, closeAll, closeFd, nonblocking, pattern, recvBytes, sameBytes, sendSome, sleep, tcpPair, waitEof,
} from './helpers';

const child = path.join(__dirname, 'fixtures', 'restore-child.js');
afterEach(closeAll);

for (const [family, fname] of [[AF_INET, 'IPv4'], [AF_INET6, 'IPv6']] as const) {
  describe(`${fname}: hand-over to another process`, () => {
    it('the child restores the connection from JSON and the conversation goes on', async () => {
      const p = tcpPair(family, { serverRcvbuf: 4096 });
      nonblocking(p.server);
      const toMover = pattern(20_000, 6);
      sendSome(p.server, toMover);
      await sleep(20);
      expect((await recvBytes(p.client, 100)).length).toBe(100);
      const toPeer = pattern(2 << 20, 7);
      const accepted = sendSome(p.client, toPeer);
      await sleep(100);

      pause(p.client);
      const json = stateToJSON(save(p.client));
      closeFd(p.client);

      const later = pattern(5000, 8); // sent by the peer once the child has the connection
      const expected = Buffer.concat([toMover.subarray(100), later]);
      const proc = spawn(process.execPath, [child], { stdio: ['pipe', 'pipe', 'inherit'] });
      // The child reports events as JSON lines; seen(name) resolves when that one has come.
      const events = new Map<string, any>();
      const waiters: (() => void)[] = [];
      readline.createInterface({ input: proc.stdout }).on('line', (l) => {
        const e = JSON.parse(l);
        events.set(e.event, e);
        waiters.splice(0).forEach((w) => w());
      });
      const seen = (name: string) => new Promise<any>((resolve, reject) => {
        const check = () => {
          if (events.has(name)) resolve(events.get(name));
          else if (events.has('error')) reject(new Error(events.get('error').message));
          else waiters.push(check);
        };
        check();
      });
      const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
      proc.stdin.end(JSON.stringify({ state: json, expect: expected.length }));

      const restored = await seen('restored');
      expect(restored.pid).toBe(proc.pid);
      expect(sendSome(p.server, later)).toBe(later.length);
      // The peer gets what the first process had queued, then the child's own words, then EOF.
      expect(sameBytes(await recvBytes(p.server, accepted), toPeer.subarray(0, accepted))).toBe('same');
      const received = await seen('received');
      expect(received.bytes).toBe(expected.length);
      expect(received.sha256).toBe(crypto.createHash('sha256').update(expected).digest('hex'));
      const bye = `bye from ${proc.pid}`;
      expect((await recvBytes(p.server, bye.length)).toString()).toBe(bye);
      expect(await waitEof(p.server)).toBe(true);
      expect(await exited).toBe(0);
    });
  });
}
