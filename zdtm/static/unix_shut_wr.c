/*
 * unix_shut_wr: an AF_UNIX stream socketpair with shutdown(SHUT_WR) on one end.
 *
 * State: socketpair(AF_UNIX, SOCK_STREAM) A, B. A sent 1200 bytes (seed 91) to B, B sent 700
 * (seed 92) to A, then shutdown(A, SHUT_WR); after that B sent 50 more (seed 92, offset 700).
 * poll() revents of both ends recorded.
 * Check after SIGTERM: revents as before; A cannot send: EPIPE (MSG_NOSIGNAL); B reads A's
 * 1200 bytes, then recv returns 0 (EOF), twice; A reads B's 750 bytes, then EAGAIN (B's write
 * side is open); B can still send: 400 new bytes reach A.
 * The program is unix_shut_rd's, built from its source with these roles and sizes.
 */
#define HOW SHUT_WR
#define X_IS_A 0	/* B reads A's data, then EOF; A's send gives EPIPE */
#define FIRST 1200
#define BACK 700
#define LATE 50
#define NEW 400
#define SEED 91
#define SHUT_SIDE "A's write side shut"
#include "unix_shut_rd.c"
