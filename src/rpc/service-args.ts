/** `amber service` options, as `criu service` takes them. */
import { UsageError } from '../errors';

export interface ServiceArgs {
  /** --address: the socket's path (CRIU's default: criu_service.socket in the current directory). */
  address: string;
  daemon: boolean;
  pidfile?: string;
  logFile?: string;
  workDir?: string;
  verbosity: number;
  statusFd?: number;
}

export const DEFAULT_SERVICE_ADDRESS = './criu_service.socket';

export function parseServiceArgs(argv: string[]): ServiceArgs {
  const out: ServiceArgs = { address: DEFAULT_SERVICE_ADDRESS, daemon: false, verbosity: 2 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (eq > 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new UsageError(`service: ${name} needs a value`);
      return argv[++i];
    };
    if (/^-v\d$/.test(a)) { out.verbosity = Number(a.slice(2)); continue; }
    switch (name) {
      case '--address': out.address = value(); break;
      case '-d': case '--daemon': out.daemon = true; break;
      case '--pidfile': out.pidfile = value(); break;
      case '-o': case '--log-file': out.logFile = value(); break;
      case '-W': case '--work-dir': out.workDir = value(); break;
      case '-v': out.verbosity = 4; break;
      case '--verbosity': out.verbosity = Number(value()); break;
      case '--status-fd': {
        const v = value();
        if (!/^\d+$/.test(v)) throw new UsageError(`service: bad --status-fd ${v}`);
        out.statusFd = Number(v);
        break;
      }
      case '--no-default-config': break;
      default: throw new UsageError(`service: unknown option ${a}`);
    }
  }
  if (!Number.isInteger(out.verbosity) || out.verbosity < 0 || out.verbosity > 4) throw new UsageError('service: bad verbosity: use -v0..-v4');
  return out;
}
