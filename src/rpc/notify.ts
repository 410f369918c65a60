/**
 * RPC notifications (criu_opts.notify_scripts): at each action point the server sends a
 * criu_resp of type NOTIFY naming the action (criu_notify.script) and the tree's root PID, and
 * waits for the client's criu_req of type NOTIFY. notify_success=false fails the dump or restore
 * there, as a failing action script does.
 */
import { ActionHook } from '../actions';
import { ActionFailedError } from '../errors';
import { Logger } from '../log';
import { RpcChannel } from './channel';
import { ReqType, reqTypeName } from './messages';

export function notifier(channel: RpcChannel, log: Logger): ActionHook {
  return (action, pid) => {
    log.info(`notifying the client: ${action} (pid ${pid})`);
    channel.send({ type: ReqType.NOTIFY, success: true, notify: { script: action, pid } });
    const ack = channel.receive();
    if (!ack) throw new ActionFailedError(action, 'the client closed the connection instead of answering the notification');
    if (ack.type !== ReqType.NOTIFY) throw new ActionFailedError(action, `the client answered the notification with ${reqTypeName(ack.type)}, not NOTIFY`);
    if (!ack.notify_success) throw new ActionFailedError(action, 'the client answered the notification with notify_success=false');
  };
}
