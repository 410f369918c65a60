/*
 * unix_listen_seqpacket: a listening AF_UNIX SOCK_SEQPACKET socket bound to a path name.
 *
 * State: a seqpacket socket bound to DIR/listen (DIR a directory next to the outfile), the socket
 * file chmod'ed to 0640 (and, as root, chown'ed to 4321:4322), listen(fd, 7); no connection ever
 * made. getsockname() and lstat() of the file recorded.
 * Check after SIGTERM: SO_TYPE SOCK_SEQPACKET, SO_ACCEPTCONN 1; getsockname equals both the
 * recorded name and one built from the path; the path is a socket file with the same mode, owner
 * and group; poll() revents as before; nothing pending (nonblocking accept: EAGAIN); two fresh
 * clients connect by the path and are accepted in order: the accepted sockets' getsockname is the
 * path, the clients' getpeername is the path, and two records each way on each connection arrive
 * separately, whole and in order.
 * The program is unix_listen_stream's, built from its source for SOCK_SEQPACKET.
 */
#define LISTEN_TYPE SOCK_SEQPACKET
#include "unix_listen_stream.c"
