/** What one RPC connection's requests are served with: no process-wide state. */
import { Logger } from '../log';
import { RpcChannel } from './channel';

export interface RpcContext {
  channel: RpcChannel;
  /** The server's own log (a request's log is opened from its options). */
  log: Logger;
  /**
   * swrk: the client's fd numbers in criu_opts (images_dir_fd, work_dir_fd, inherit_fd) are
   * amber's own, inherited. service: they are the client's, and are taken from it.
   */
  mode: 'swrk' | 'service';
  /** The client's PID (SO_PEERCRED): the default DUMP target, and whose fds a service takes. */
  peerPid: number;
  /** amber's version (package.json). */
  version: string;
}
