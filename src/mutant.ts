/**
 * State mutants, for the suite's own tests: AMBER_MUTANT=<name> makes restore leave out one kind
 * of state, and zdtm/mutants/state-mutants.ts checks that the zdtm tests of that state then
 * fail (a test that passes without the state being restored proves nothing). Never set outside
 * that check. MUTANTS lists the names and the tests each must break.
 */
export const MUTANTS = {
  'skip-fown': ['fown_sigio', 'fown_pgrp', 'fown_tid'],
  'skip-file-locks': ['file_flock', 'file_posix_locks', 'file_ofd_locks', 'file_lease'],
  'skip-mlock': ['mlock_region', 'mlockall_future'],
  'skip-madvise': ['madvise_flags'],
  'skip-cpu-affinity': ['thread_cpu_affinity'],
  'skip-prctl-states': ['prctl_states'],
  'skip-ambient-caps': ['caps_ambient'],
  'skip-unix-queues': ['socket_unix_held', 'unix_stream_pair', 'unix_dgram_pair', 'unix_scm_rights', 'unix_listen_backlog_data'],
  'skip-udp-queues': ['udp_queue'],
  'skip-sock-opts': ['unix_sockopts', 'tcp_listen_opts', 'udp_opts'],
  'skip-timerfd-ticks': ['timerfd_ticks'],
  'skip-inotify-watches': ['inotify_watches', 'inotify_held'],
  'skip-stop-report': ['tree_stopped_child'],
  'skip-membarrier': ['membarrier_registered'],
  'skip-pty-queues': ['pty_queued_data'],
  'skip-ctty': ['pty_ctty_session'],
  'skip-cow': ['cow_shared_after_fork'],
  'skip-file-flags': ['file_flags'],
  'skip-ghost-dir-removal': ['dir_unlinked_cwd', 'dir_unlinked_fd'],
  'skip-thread-creds': ['thread_creds_raw', 'thread_creds_raw_leader'],
  'skip-rlimits': ['rlimits_soft'],
  'skip-pdeathsig': ['child_process'],
} as const satisfies Record<string, readonly string[]>;

export type MutantName = keyof typeof MUTANTS;

export function mutated(name: MutantName): boolean {
  return process.env.AMBER_MUTANT === name;
}
