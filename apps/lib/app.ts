/** What an app test is made of: the driver (driver.ts) runs these hooks in a fixed order. */
import type { StreamConn } from './conn';
import type { Need } from './packages';

export interface AppEnv {
  /** The app's folder: logs, config, images. */
  workdir: string;
  /** A free loopback port for the app. */
  port: number;
  /** Deadline of one step (one request, one start). */
  stepMs: number;
  /** One line to the app's harness.log. */
  log(line: string): void;
  /** Starts argv detached (a session leader, not our child_process child): its PID. */
  launch(argv: string[], logName: string): Promise<number>;
  /** Removed at the end (temp dirs outside workdir, say). */
  onCleanup(fn: () => void): void;
}

export interface AppRun {
  /** Starts the app and returns the PID of its root task once it serves. */
  start(): Promise<number>;
  /** Loads the state and opens the connections kept across all the checkpoints. */
  load(): Promise<void>;
  /** Just before each dump: leaves data in flight (a big answer left unread, ...). */
  beforeDump?(cycle: number): Promise<void>;
  /** While the app is checkpointed (after the dump, before the restore): sends a request. */
  whileCheckpointed?(cycle: number): Promise<void>;
  /** After each restore: everything as it must be. */
  verify(cycle: number): Promise<void>;
  /** After the last cycle: the whole state. */
  finalCheck(): Promise<void>;
  /** The connections that must survive every checkpoint (no FIN, no reset, no stray byte). */
  keptConnections(): StreamConn[];
  /** Closes every client socket. Always called. */
  close(): void;
}

export interface AppCase {
  name: string;
  /** One line: what is checked. */
  summary: string;
  needs: Need[];
  dumpOpts: string[];
  restoreOpts: string[];
  /** Something else the app needs that is not there (a program not built, say), or undefined. */
  preflight?(): string | undefined;
  /** The signal after which the app exits 0 (checked at the end). */
  stopSignal: NodeJS.Signals;
  create(env: AppEnv): AppRun;
}
