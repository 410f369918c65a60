/**
 * Who makes a connection at restore. The kernel stamps a connection with the credentials of the
 * process that made it (SO_PEERCRED: the pid that called socketpair, connect or listen), so a
 * restored socket is connected by the stub that has the dumped pid, through injected syscalls,
 * and the result is brought back into the restorer. Without such a task the restorer does it.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { SysError } from '../errors';
import { SYS } from '../arch/x86_64/syscalls';
import { Injected, takeRestorerFd } from '../task/injected';

export interface SocketActor {
  readonly pid: number;
  socketpair(domain: number, type: number): [number, number];
  /** Several socketpairs at once, one of each type (a task makes them in one stop). */
  socketpairs(domain: number, types: readonly number[]): [number, number][];
  connect(fd: number, addr: Buffer): void;
  listen(fd: number, backlog: number): void;
  /** Closes what the actor still holds inside its task (the task's own copies of new sockets). */
  flush(): void;
}

export const restorerActor: SocketActor = {
  pid: process.pid,
  socketpair: (domain, type) => native.socketpair(domain, type, 0),
  socketpairs: (domain, types) => types.map((type) => native.socketpair(domain, type, 0)),
  connect: (fd, addr) => native.connect(fd, addr),
  listen: (fd, backlog) => native.listen(fd, backlog),
  flush: () => undefined,
};

/** The task's copies of new sockets are closed in runs (close_range), this many at most held. */
const HELD_MAX = 128;
/** Socketpairs made in one batch of injected calls: their fds take 8 bytes each of the data buffer. */
const PAIRS_PER_BATCH = 256;

/** A stub (or any task under our control) acting on the restorer's sockets. */
export function taskActor(t: Injected, pid: number): SocketActor {
  const held: number[] = [];
  const flush = () => {
    held.sort((a, b) => a - b);
    for (let i = 0; i < held.length;) {
      let j = i;
      while (j + 1 < held.length && held[j + 1] === held[j] + 1) j++;
      t.remote.call(SYS.close_range, held[i], held[j], 0);
      i = j + 1;
    }
    held.length = 0;
  };
  const withFd = <T>(fd: number, fn: (tfd: number) => T): T => {
    const tfd = takeRestorerFd(t, fd);
    try {
      return fn(tfd);
    } finally {
      t.remote.call(SYS.close, tfd);
    }
  };
  const check = (r: bigint, what: string, fd: number) => {
    if (r < 0n && r > -4096n) throw new SysError(Number(-r), `${what} (by task ${pid})`, pid, fd);
  };
  return {
    pid,
    socketpair(domain, type) {
      return this.socketpairs(domain, [type])[0];
    },
    socketpairs(domain, types) {
      const out: [number, number][] = [];
      const pidfd = native.pidfdOpen(pid, 0);
      try {
        for (let at = 0; at < types.length; at += PAIRS_PER_BATCH) {
          const chunk = types.slice(at, at + PAIRS_PER_BATCH);
          t.remote.callBatch(chunk.map((type, i) => ({ nr: SYS.socketpair, args: [domain, type, 0, t.data + BigInt(8 * i)] })));
          const b = t.mem.read(t.data, 8 * chunk.length);
          for (let i = 0; i < chunk.length; i++) {
            const fds = [b.readInt32LE(8 * i), b.readInt32LE(8 * i + 4)];
            held.push(...fds);
            out.push([native.pidfdGetfd(pidfd, fds[0]), native.pidfdGetfd(pidfd, fds[1])]);
          }
          if (held.length >= HELD_MAX) flush();
        }
      } finally {
        fs.closeSync(pidfd);
      }
      return out;
    },
    connect(fd, addr) {
      withFd(fd, (tfd) => {
        t.mem.write(t.data, addr);
        check(t.remote.raw(SYS.connect, tfd, t.data, addr.length), 'connect', fd);
      });
    },
    listen(fd, backlog) {
      withFd(fd, (tfd) => check(t.remote.raw(SYS.listen, tfd, backlog), 'listen', fd));
    },
    flush,
  };
}
