/**
 * CRIU's action points: the moments of a dump or restore at which CRIU runs --action-script
 * and, over RPC, sends a NOTIFY and waits for the client's answer. amber's dump and restore
 * call an optional hook at the same points (DumpOptions.onAction, RestoreOptions.onAction); the
 * CLI's --action-script and the RPC server (src/rpc/notify.ts) are two users of that one hook.
 *
 * The hook is synchronous (dump and restore are): it returns when the action is done, and a
 * throw fails the dump or restore at that point, as a failing script or a client's negative
 * answer does with CRIU. Points after which nothing can be undone (network-unlock after a dump,
 * post-resume) only log a failure.
 */

/** The action names, spelled as CRIU passes them (CRTOOLS_SCRIPT_ACTION, criu_notify.script). */
export type ActionName =
  | 'pre-dump'
  | 'network-lock'
  | 'post-dump'
  | 'network-unlock'
  | 'pre-restore'
  | 'post-restore'
  | 'pre-resume'
  | 'post-resume';

/** Called at an action point with the root PID of the tree (the dumped one, or the restored one). */
export type ActionHook = (action: ActionName, pid: number) => void;
