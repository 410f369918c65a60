/*
 * thread_creds_raw_leader: thread_creds_raw with the roles swapped: the main thread gives up
 * root with the raw SYS_setresuid/SYS_setresgid while thread R keeps uid 0 (and thread F
 * changes only its fsuid/fsgid). Restore must give each thread its own credentials although
 * the main thread, restored first, is no longer privileged.
 * The program is thread_creds_raw's, built from its source.
 */
#define LEADER_UNPRIVILEGED 1
#include "thread_creds_raw.c"
