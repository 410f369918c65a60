/**
 * Drives a CRIU-compatible checkpointer (bin/amber, a mutant, or criu itself) as a separate
 * process: the engine must never ptrace from the runner's own process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execToFile, type ExecResult } from './exec';

export interface AmberCall {
  bin: string;
  /** The images dir (-D); logs (-o) and the command's own output land in it. */
  dir: string;
  timeoutMs: number;
}

export interface AmberRun extends ExecResult {
  argv: string[];
  /** The -o log inside dir. */
  log: string;
  /** stdout+stderr of the command. */
  output: string;
}

async function run(call: AmberCall, action: string, args: string[]): Promise<AmberRun> {
  fs.mkdirSync(call.dir, { recursive: true });
  const logName = `${action}.log`;
  const argv = [call.bin, action, ...args, '-D', call.dir, '-o', logName, '-v4'];
  const output = path.join(call.dir, `${action}.out`);
  fs.writeFileSync(output, `$ ${argv.join(' ')}\n`);
  const r = await execToFile(argv, { cwd: call.dir, outputFile: output, timeoutMs: call.timeoutMs });
  return { ...r, argv, log: path.join(call.dir, logName), output };
}

export interface DumpOptions {
  leaveRunning: boolean;
  /** A previous pre-dump's images dir, relative to this dir (CRIU's --prev-images-dir). */
  prevImagesDir?: string;
  extra: string[];
}

export function dump(call: AmberCall, pid: number, o: DumpOptions): Promise<AmberRun> {
  const args = ['-t', String(pid)];
  if (o.leaveRunning) args.push('--leave-running');
  if (o.prevImagesDir) args.push('--prev-images-dir', o.prevImagesDir, '--track-mem');
  return run(call, 'dump', [...args, ...o.extra]);
}

export function preDump(call: AmberCall, pid: number, prevImagesDir: string | undefined, extra: string[]): Promise<AmberRun> {
  const args = ['-t', String(pid), '--track-mem'];
  if (prevImagesDir) args.push('--prev-images-dir', prevImagesDir);
  return run(call, 'pre-dump', [...args, ...extra]);
}

export function restore(call: AmberCall, pidfile: string, extra: string[]): Promise<AmberRun> {
  return run(call, 'restore', ['-d', '--pidfile', pidfile, ...extra]);
}

/**
 * `BIN check --feature NAME` exits 0: asked once per binary and feature in a process.
 * A binary that cannot run at all supports nothing.
 */
export class FeatureProbe {
  private readonly answers = new Map<string, Promise<boolean>>();

  constructor(private readonly bin: string, private readonly scratchDir: string) {}

  has(feature: string): Promise<boolean> {
    let answer = this.answers.get(feature);
    if (!answer) {
      answer = this.ask(feature);
      this.answers.set(feature, answer);
    }
    return answer;
  }

  private async ask(feature: string): Promise<boolean> {
    fs.mkdirSync(this.scratchDir, { recursive: true });
    const r = await execToFile([this.bin, 'check', '--feature', feature], {
      cwd: this.scratchDir,
      outputFile: path.join(this.scratchDir, `check-${feature}.out`),
      timeoutMs: 30_000,
    });
    return r.code === 0;
  }
}
