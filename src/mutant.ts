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
  'skip-gpregs': ['gp_regs_loop'],
  'skip-fpu': ['fpu_x87', 'sse_regs', 'avx_regs', 'mxcsr_rounding'],
  'skip-sigmask': ['sigmask_blocked', 'thread_sigmask_each', 'sigmask_sigsuspend'],
  'skip-pending-signals': ['sigpending_blocked', 'sigqueue_rt_pending', 'thread_pending_signal', 'signalfd_pending'],
  'skip-sigactions': ['sighandler_installed', 'sigaction_tree'],
  'skip-pipe-data': ['pipe_held', 'pipe_across_tree', 'pipe_resized_full', 'fifo_named'],
  'skip-itimers': ['itimer_real', 'itimer_virt_prof', 'itimer_tree', 'alarm_pending'],
  'skip-posix-timers': ['posix_timers'],
  'skip-creds': ['creds_caps', 'creds_setuid'],
  'skip-cwd': ['cwd_umask', 'cwd_deep_umask0', 'umask_tree'],
  'skip-umask': ['cwd_umask', 'cwd_deep_umask0', 'umask_tree'],
  'skip-comm': ['comm_name', 'thread_names'],
  'skip-eventfd-counter': ['eventfd_counter'],
  'skip-epoll-interest': ['epoll_interest', 'epoll_nested', 'epoll_mixed_fds'],
  'skip-signalfd-mask': ['signalfd_held', 'signalfd_pending'],
  'skip-memfd-seals': ['memfd_seals'],
  'skip-file-offsets': ['file_offsets', 'file_append'],
} as const satisfies Record<string, readonly string[]>;

export type MutantName = keyof typeof MUTANTS;

export function mutated(name: MutantName): boolean {
  return process.env.AMBER_MUTANT === name;
}
