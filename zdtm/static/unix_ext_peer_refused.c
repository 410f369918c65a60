/*
 * unix_ext_peer_refused: the state of unix_ext_peer (a dgram socket connected to a path-bound
 * socket in a process outside the dumped tree) dumped WITHOUT --ext-unix-sk: the dump must
 * refuse (flag crfail) and leave the test running untouched.
 *
 * The program is unix_ext_peer's, compiled again from its source: only the options the runner
 * passes differ (unix_ext_peer_refused.json), and its files are named after this program.
 * State: as unix_ext_peer: an external process X (double-forked away, own session, none of
 * the test's fds) bound to DIR/ext logs every datagram into DIR/ext.log; the test's unbound
 * dgram socket T is connect()ed to DIR/ext and sent it 200 bytes (seed 350), logged before
 * ready.
 * Check after SIGTERM: X is still alive; T's SO_TYPE is SOCK_DGRAM and getpeername is DIR/ext
 * (as recorded); T sends 300 bytes (seed 351) and X logs them: the log holds exactly the two
 * datagrams, in order, with their sizes and contents. The test then kills X.
 */
#include "unix_ext_peer.c"
