/**
 * `npm run soak:service -- [--requests 1000] [...]`: one `amber service --address SOCK` serves
 * N requests, each on its own connection (CRIU's RPC: one criu_req / criu_resp per
 * SOCK_SEQPACKET packet), in a fixed mix: VERSION, CHECK, DUMP of a sleeping process (which
 * kills it) and RESTORE of it, in turn. Every answer is checked (its type, success, the
 * restored PID, the connection closed after it); a restored sleeper must run as the service's
 * child, and once killed it must be reaped by the service.
 *
 * The service's VmRSS (/proc/PID/status) and open fds (/proc/PID/fd) are sampled every
 * --sample-every requests and printed. After the warm-up (--warmup requests) they must stay
 * flat: the soak fails when the last sample is above the warm-up one by more than --rss-mib
 * MiB or --fd-slack fds. At the end the service must leave on SIGTERM with status 0 and remove
 * its socket. Always: sleepers and the service killed, the work dir removed; a JSON report.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { native } from '../src/native';
import { unixSockaddr } from '../src/net/sockaddr';
import { decodeResp, encodeReq, ReqType, reqTypeName, type CriuReq, type CriuResp } from '../src/rpc/messages';
import { tailFile } from '../zdtm/runner/exec';
import { defaultAmberBin } from '../zdtm/runner/paths';
import { becomeSubreaper, procState, settledState, waitExit, waitPidsFree } from '../zdtm/runner/reaper';
import { launchDetached } from '../apps/lib/launch';
import { readTask } from '../apps/lib/proc';
import { pollFor, sleep } from '../apps/lib/util';
import {
  atEnd,
  childrenWithState,
  cleanupOnSignals,
  defaultBase,
  fmtStats,
  helpOf,
  inPidns,
  insidePidns,
  parseOpts,
  requireRoot,
  round1,
  runCleanups,
  runStamp,
  sampleProc,
  SoakFailure,
  stats,
  UsageError,
  writeJson,
  type OptSpec,
  type ProcSample,
} from './lib';

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const MSG_PEEK = 2;
const MSG_TRUNC = 0x20;
const MSG_DONTWAIT = 0x40;

const SPECS: OptSpec[] = [
  { name: 'requests', kind: 'int', min: 4, help: 'requests to serve (default 1000)' },
  { name: 'warmup', kind: 'int', min: 0, help: 'requests before the baseline sample (default 100)' },
  { name: 'sample-every', kind: 'int', min: 1, help: 'sample RSS and fds every N requests (default 50)' },
  { name: 'rss-mib', kind: 'int', min: 0, help: 'allowed VmRSS growth from the warm-up sample to the last one, MiB (default 20)' },
  { name: 'fd-slack', kind: 'int', min: 0, help: 'allowed growth of the open fds (default 0)' },
  { name: 'verbosity', kind: 'int', min: 0, help: "the service's -v level and the requests' log_level (default 4)" },
  { name: 'timeout', kind: 'int', min: 1, help: 'seconds for one answer, a start, a reap (default 60)' },
  { name: 'node-args', kind: 'string', help: 'Node options for the service, space-separated (e.g. "--trace-gc"; its stdout goes to service.out)' },
  { name: 'pidns', kind: 'flag', help: 'run everything in a new PID namespace (no PID of another process can collide; no pid_max wrap)' },
  { name: 'amber-bin', kind: 'string', help: 'the checkpointer (default bin/amber)' },
  { name: 'dir', kind: 'string', help: 'where the work dir (socket, images, logs) goes (default /dev/shm, else the temp dir)' },
  { name: 'report', kind: 'string', help: 'the JSON report (default /tmp/amber-soak/service-STAMP.json; logs of a failure in ...-logs/)' },
];

const KINDS = ['VERSION', 'CHECK', 'DUMP', 'RESTORE'] as const;
type Kind = (typeof KINDS)[number];

const say = (s: string): void => {
  process.stderr.write(`soak:service: ${s}\n`);
};
const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

/** Set by SIGINT/SIGTERM: every wait gives up, and the soak ends as a failure with its report. */
let interrupted: NodeJS.Signals | undefined;

/** One client connection to the service: packets of criu_req out, criu_resp in. */
class RpcConn {
  private constructor(readonly fd: number) {}

  static connect(sock: string): RpcConn {
    const fd = native.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    try {
      native.connect(fd, unixSockaddr(Buffer.from(sock)));
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    return new RpcConn(fd);
  }

  send(req: CriuReq): void {
    native.sendmsg(this.fd, encodeReq(req), null, null, 0);
  }

  /** The next answer, or undefined when the service closed the connection. */
  async receive(timeoutMs: number, what: string): Promise<CriuResp | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let size: number;
      try {
        size = native.recvmsg(this.fd, 0, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT).n;
      } catch (e) {
        if ((e as { code?: string }).code !== 'EAGAIN') throw e;
        if (interrupted) throw new SoakFailure(`interrupted by ${interrupted}`);
        if (Date.now() > deadline) throw new SoakFailure(`${what}: no answer from the service within ${timeoutMs / 1000} s`);
        await sleep(2);
        continue;
      }
      if (size === 0) return undefined;
      return decodeResp(native.recvmsg(this.fd, size, 0, 0).data);
    }
  }

  /** Sends req, answers every NOTIFY with success; the final answer and the scripts notified. */
  async call(req: CriuReq, timeoutMs: number, what: string): Promise<{ resp: CriuResp | undefined; scripts: string[] }> {
    this.send(req);
    const scripts: string[] = [];
    for (;;) {
      const resp = await this.receive(timeoutMs, what);
      if (!resp || resp.type !== ReqType.NOTIFY) return { resp, scripts };
      scripts.push(resp.notify?.script ?? '?');
      this.send({ type: ReqType.NOTIFY, notify_success: true });
    }
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // closed
    }
  }
}

interface Sample extends ProcSample {
  request: number;
  children: number;
}

const mib = (kib: number): number => round1(kib / 1024);

async function main(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseOpts(argv, SPECS);
    if (o.help) {
      process.stdout.write(helpOf('usage: npm run soak:service -- [options]', SPECS));
      return 0;
    }
    requireRoot();
    if (o.pidns && !insidePidns()) return await inPidns(__filename, argv, say);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    say(`${e.message} (--help shows the options)`);
    return 2;
  }
  const requests = (o.requests as number | undefined) ?? 1000;
  const warmup = Math.min((o.warmup as number | undefined) ?? 100, requests);
  const sampleEvery = (o['sample-every'] as number | undefined) ?? 50;
  const rssMib = (o['rss-mib'] as number | undefined) ?? 20;
  const fdSlack = (o['fd-slack'] as number | undefined) ?? 0;
  const verbosity = (o.verbosity as number | undefined) ?? 4;
  const timeoutMs = ((o.timeout as number | undefined) ?? 60) * 1000;
  const amberBin = path.resolve((o['amber-bin'] as string | undefined) ?? defaultAmberBin);
  const reportFile = path.resolve((o.report as string | undefined) ?? `/tmp/amber-soak/service-${runStamp()}.json`);
  const logsDir = reportFile.replace(/\.json$/, '') + '-logs';
  const base = (o.dir as string | undefined) ?? defaultBase();

  fs.mkdirSync(base, { recursive: true });
  const workdir = fs.mkdtempSync(path.join(base, 'amber-soak-service-'));
  const sock = path.join(workdir, 'svc.sock');
  const svcLog = path.join(workdir, 'service.log');
  const svcErr = path.join(workdir, 'service.err');
  const svcOut = path.join(workdir, 'service.out');
  const nodeArgs = ((o['node-args'] as string | undefined) ?? '').split(/\s+/).filter(Boolean);
  const imgDir = path.join(workdir, 'img');

  let svcPid: number | undefined;
  let svcExit: Promise<string> | undefined;
  let svcEnded: string | undefined;
  const sleepers = new Set<number>();
  let failed = false;
  let conn: RpcConn | undefined;

  atEnd(() => {
    if (failed) {
      fs.mkdirSync(logsDir, { recursive: true });
      for (const f of [svcLog, svcErr, svcOut]) if (fs.existsSync(f)) fs.copyFileSync(f, path.join(logsDir, path.basename(f)));
      // A sleeper's images are small (some 150 KiB): all of them are kept, for crit.
      if (fs.existsSync(imgDir)) fs.cpSync(imgDir, path.join(logsDir, 'img'), { recursive: true });
    } else if (nodeArgs.length > 0 && fs.existsSync(svcOut)) {
      // What the Node options asked for (a GC trace, say) is kept next to the report.
      fs.mkdirSync(path.dirname(reportFile), { recursive: true });
      fs.copyFileSync(svcOut, reportFile.replace(/\.json$/, '') + '.service.out');
    }
    fs.rmSync(workdir, { recursive: true, force: true });
  });
  atEnd(async () => {
    if (svcPid !== undefined && svcEnded === undefined) {
      try {
        process.kill(svcPid, 'SIGKILL');
      } catch {
        // gone
      }
      await Promise.race([svcExit, sleep(5000)]);
    }
  });
  atEnd(async () => {
    for (const pid of sleepers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await waitPidsFree([...sleepers], 5000);
  });
  atEnd(() => conn?.close());
  cleanupOnSignals(say, (sig) => {
    interrupted = sig;
    failed = true;
  });

  const samples: Sample[] = [];
  const ms: Record<Kind, number[]> = { VERSION: [], CHECK: [], DUMP: [], RESTORE: [] };
  const served: Record<Kind, number> = { VERSION: 0, CHECK: 0, DUMP: 0, RESTORE: 0 };
  let failure: SoakFailure | undefined;
  let done = 0;
  let sleeper = 0;
  const t0 = Date.now();

  const take = (request: number): Sample => {
    const s = svcPid !== undefined ? sampleProc(svcPid) : undefined;
    if (!s) throw new SoakFailure(`the service (${svcPid}) is gone at request ${request}${svcEnded ? `: ${svcEnded}` : ''}`, [tailFile(svcErr, 20), tailFile(svcLog, 30)]);
    const smp = { request, ...s, children: childrenWithState(svcPid as number).length };
    samples.push(smp);
    out(`after ${String(request).padStart(5)} requests: VmRSS ${mib(smp.rssKiB).toFixed(1).padStart(6)} MiB, ${smp.fds} fds, ${smp.threads} threads, ${smp.children} children`);
    return smp;
  };

  /** One connection, one request: the answer, checked; the connection must then be closed by the service. */
  async function request(n: number, req: CriuReq, what: string): Promise<{ resp: CriuResp; scripts: string[] }> {
    if (svcEnded) throw new SoakFailure(`the service ended before request ${n}: ${svcEnded}`, [tailFile(svcErr, 20), tailFile(svcLog, 30)]);
    conn = RpcConn.connect(sock);
    try {
      const { resp, scripts } = await conn.call(req, timeoutMs, `request ${n} (${what})`);
      if (!resp) throw new SoakFailure(`request ${n} (${what}): the service closed the connection without an answer`, [tailFile(svcLog, 30)]);
      if (resp.type !== req.type) throw new SoakFailure(`request ${n} (${what}): answered with a ${reqTypeName(resp.type)} response`, [JSON.stringify(resp)]);
      if (!resp.success) throw new SoakFailure(`request ${n} (${what}) failed: ${resp.cr_errmsg ?? '(no cr_errmsg)'}${resp.cr_errno !== undefined ? ` (errno ${resp.cr_errno})` : ''}`);
      const after = await conn.receive(timeoutMs, `request ${n} (${what}): end of connection`);
      if (after !== undefined) throw new SoakFailure(`request ${n} (${what}): a second answer on a one-request connection: ${JSON.stringify(after)}`);
      return { resp, scripts };
    } finally {
      conn.close();
      conn = undefined;
    }
  }

  let result: 'pass' | 'fail' = 'pass';
  try {
    if (!becomeSubreaper()) throw new SoakFailure('cannot become a child subreaper (is the native addon built? npm run build)');
    fs.accessSync(amberBin, fs.constants.X_OK);
    const err = fs.openSync(svcErr, 'a');
    const so = fs.openSync(svcOut, 'a');
    const child = spawn(process.execPath, [...nodeArgs, amberBin, 'service', '--address', sock, '-o', svcLog, `-v${verbosity}`], { stdio: ['ignore', so, err], cwd: workdir });
    fs.closeSync(err);
    fs.closeSync(so);
    svcPid = child.pid;
    svcExit = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        svcEnded = code !== null ? `exit ${code}` : `killed by ${signal}`;
        resolve(svcEnded);
      });
    });
    if (svcPid === undefined) throw new SoakFailure(`cannot start ${amberBin} service`);
    const up = await pollFor(() => (fs.existsSync(sock) ? true : svcEnded ? false : undefined), timeoutMs);
    if (up !== true) throw new SoakFailure(`the service did not listen on ${sock} within ${timeoutMs / 1000} s${svcEnded ? ` (${svcEnded})` : ''}`, [tailFile(svcErr, 20), tailFile(svcLog, 20)]);
    say(`service ${svcPid} on ${sock}; ${requests} requests (${KINDS.join(', ')} in turn), warm-up ${warmup}, sample every ${sampleEvery}`);
    take(0);

    for (let i = 0; i < requests; i++) {
      if (interrupted) throw new SoakFailure(`interrupted by ${interrupted}`);
      const n = i + 1;
      const kind = KINDS[i % KINDS.length];
      const ts = performance.now();
      if (kind === 'VERSION') {
        const { resp } = await request(n, { type: ReqType.VERSION }, 'VERSION');
        if (resp.version?.name !== 'amber') throw new SoakFailure(`request ${n} (VERSION): version ${JSON.stringify(resp.version)}`);
      } else if (kind === 'CHECK') {
        await request(n, { type: ReqType.CHECK }, 'CHECK');
      } else if (kind === 'DUMP') {
        fs.rmSync(imgDir, { recursive: true, force: true });
        fs.mkdirSync(imgDir);
        sleeper = await launchDetached({ argv: ['sleep', '1000'], cwd: workdir, logFile: path.join(workdir, 'sleeper.log'), timeoutMs });
        sleepers.add(sleeper);
        const ts2 = performance.now();
        const dirFd = fs.openSync(imgDir, 'r'); // our fd: the service reads it through /proc/OURPID/fd
        try {
          const { resp } = await request(n, { type: ReqType.DUMP, opts: { images_dir_fd: dirFd, pid: sleeper, log_level: verbosity, log_file: 'dump.log', notify_scripts: true } }, `DUMP of ${sleeper}`);
          if (resp.dump?.restored) throw new SoakFailure(`request ${n} (DUMP): dump.restored is set`);
        } finally {
          fs.closeSync(dirFd);
        }
        ms.DUMP.push(performance.now() - ts2);
        const taken = await waitPidsFree([sleeper], timeoutMs);
        if (taken.length > 0) throw new SoakFailure(`request ${n} (DUMP): the sleeper ${sleeper} is still there ${timeoutMs / 1000} s after its dump (state ${procState(sleeper)})`);
        sleepers.delete(sleeper);
      } else {
        const dirFd = fs.openSync(imgDir, 'r');
        try {
          const { resp } = await request(n, { type: ReqType.RESTORE, opts: { images_dir_fd: dirFd, log_level: verbosity, log_file: 'restore.log', notify_scripts: true } }, `RESTORE of ${sleeper}`);
          sleepers.add(resp.restore?.pid ?? sleeper);
          if (resp.restore?.pid !== sleeper) throw new SoakFailure(`request ${n} (RESTORE): restored pid ${resp.restore?.pid}, expected ${sleeper}`);
        } finally {
          fs.closeSync(dirFd);
        }
        ms.RESTORE.push(performance.now() - ts);
        const st = await settledState(sleeper);
        const t = readTask(sleeper);
        if (st !== 'S' || !t || t.ppid !== svcPid || !t.cmdline.startsWith('sleep')) {
          throw new SoakFailure(`request ${n} (RESTORE): the restored sleeper ${sleeper} is ${t ? `${t.comm} in state ${st}, parent ${t.ppid}` : 'not there'}; expected sleep, state S, parent the service ${svcPid}`);
        }
        process.kill(sleeper, 'SIGKILL');
        // The service is its parent: it must reap it, between connections.
        const reaped = await pollFor(() => (procState(sleeper) === undefined ? true : undefined), timeoutMs, 5);
        if (!reaped) throw new SoakFailure(`request ${n} (RESTORE): the killed sleeper ${sleeper} was not reaped by the service within ${timeoutMs / 1000} s (state ${procState(sleeper)})`);
        sleepers.delete(sleeper);
        fs.rmSync(imgDir, { recursive: true, force: true });
      }
      if (kind === 'VERSION' || kind === 'CHECK') ms[kind].push(performance.now() - ts);
      served[kind]++;
      done = n;
      if (n % sampleEvery === 0 || n === warmup || n === requests) take(n);
    }

    const warm = samples.find((s) => s.request === warmup) as Sample;
    const last = samples[samples.length - 1];
    const problems: string[] = [];
    if (last.rssKiB - warm.rssKiB > rssMib * 1024) problems.push(`VmRSS grew ${mib(last.rssKiB - warm.rssKiB)} MiB after the warm-up (${mib(warm.rssKiB)} -> ${mib(last.rssKiB)} MiB), more than ${rssMib} MiB`);
    if (last.fds - warm.fds > fdSlack) problems.push(`open fds grew from ${warm.fds} to ${last.fds} after the warm-up (allowed: +${fdSlack}): ${fs.readdirSync(`/proc/${svcPid}/fd`).map((f) => `${f}->${(() => { try { return fs.readlinkSync(`/proc/${svcPid}/fd/${f}`); } catch { return '?'; } })()}`).join(' ')}`);
    if (last.children > 0) problems.push(`the service still has ${last.children} children: ${JSON.stringify(childrenWithState(svcPid))}`);
    if (problems.length > 0) throw new SoakFailure(problems.join('; '));

    process.kill(svcPid, 'SIGTERM');
    const how = await Promise.race([svcExit, sleep(timeoutMs).then(() => 'still running')]);
    if (how !== 'exit 0') throw new SoakFailure(`the service did not exit 0 on SIGTERM: ${how}`, [tailFile(svcErr, 20)]);
    if (fs.existsSync(sock)) throw new SoakFailure(`the service left its socket ${sock} behind`);
    await waitExit(svcPid, 1000);
  } catch (e) {
    result = 'fail';
    failed = true;
    failure = e instanceof SoakFailure ? e : new SoakFailure((e as Error).message, [String((e as Error).stack)]);
  }

  const warmSample = samples.find((s) => s.request === warmup);
  const lastSample = samples[samples.length - 1];
  const after = samples.filter((s) => s.request >= warmup);
  const report = {
    soak: 'service',
    date: new Date().toISOString(),
    result,
    failure: failure ? { message: failure.message, details: failure.details } : undefined,
    amberBin,
    config: { pidns: insidePidns(), requests, warmup, sampleEvery, rssMib, fdSlack, verbosity, nodeArgs, timeoutS: timeoutMs / 1000, workBase: base },
    requestsDone: done,
    served,
    elapsedS: round1((Date.now() - t0) / 1000),
    ms: Object.fromEntries(KINDS.map((k) => [k, stats(ms[k])])),
    rss: warmSample && lastSample ? { startMiB: mib(samples[0].rssKiB), warmupMiB: mib(warmSample.rssKiB), endMiB: mib(lastSample.rssKiB), maxAfterWarmupMiB: mib(Math.max(...after.map((s) => s.rssKiB))), growthMiB: mib(lastSample.rssKiB - warmSample.rssKiB), boundMiB: rssMib } : undefined,
    fds: warmSample && lastSample ? { start: samples[0].fds, warmup: warmSample.fds, end: lastSample.fds, maxAfterWarmup: Math.max(...after.map((s) => s.fds)), bound: fdSlack } : undefined,
    samples,
    logs: result === 'fail' ? logsDir : undefined,
  };
  await runCleanups(say);
  writeJson(reportFile, report);

  for (const k of KINDS) if (ms[k].length) out(`${k.padEnd(8)} ${String(ms[k].length).padStart(4)}x: ${fmtStats(stats(ms[k]))}`);
  if (report.rss && report.fds) {
    out(`VmRSS: ${report.rss.startMiB} MiB at start, ${report.rss.warmupMiB} MiB after ${warmup} requests, ${report.rss.endMiB} MiB at the end (${report.rss.growthMiB >= 0 ? '+' : ''}${report.rss.growthMiB} MiB; bound +${rssMib}); max after the warm-up ${report.rss.maxAfterWarmupMiB} MiB`);
    out(`fds: ${report.fds.start} at start, ${report.fds.warmup} after the warm-up, ${report.fds.end} at the end (bound +${fdSlack})`);
  }
  out(`report: ${reportFile}`);
  if (failure) {
    out(`FAIL after ${done} of ${requests} requests: ${failure.message}`);
    for (const d of failure.details) process.stderr.write(`${d.replace(/^/gm, '    ')}\n`);
    out(`logs: ${logsDir}`);
    return interrupted === 'SIGINT' ? 130 : interrupted ? 143 : 1;
  }
  out(`PASS ${requests} requests in ${Math.round((Date.now() - t0) / 1000)} s: memory and fds flat`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    say(`harness error: ${(e as Error).stack}`);
    void runCleanups(say).finally(() => process.exit(1));
  },
);
