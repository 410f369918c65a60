/**
 * soccr: TCP connection repair. Saves a live TCP connection from one socket and rebuilds it
 * on another (in this process or another, on this host or another with the same addresses),
 * without the peer noticing. Built on the kernel's TCP_REPAIR (needs CAP_NET_ADMIN; the
 * half-closed states also need CAP_NET_RAW).
 *
 *   pause(fd)                  TCP_REPAIR = 1. send() on the socket fails; close() sends
 *                              neither FIN nor RST. (The kernel still receives and acks
 *                              segments: keep the peer quiet until the socket is closed.)
 *   const s = save(fd)         reads the connection into a TcpConnState:
 *       tcp_info .............. tcpi_state (refuses SYN_*, TIME_WAIT, CLOSE, LISTEN with a
 *                              TcpStateError), tcpi_options and the window scale shifts
 *       getsockname/getpeername family, local and remote address and port
 *       TCP_REPAIR_QUEUE = TCP_RECV_QUEUE, TCP_QUEUE_SEQ (rcv_nxt), SIOCINQ bytes via
 *                              recv(MSG_PEEK | MSG_DONTWAIT)
 *       TCP_REPAIR_QUEUE = TCP_SEND_QUEUE, TCP_QUEUE_SEQ (write_seq), SIOCOUTQ bytes via
 *                              recv(MSG_PEEK), SIOCOUTQNSD (the never-sent tail); our FIN
 *                              taken out of both counts
 *       (both queues re-read until two reads agree)
 *       TCP_MAXSEG (mss_clamp in repair mode), TCP_TIMESTAMP, TCP_REPAIR_WINDOW
 *       (snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup), TCP_NODELAY, TCP_CORK
 *   close(fd)                  silent, as the socket is in repair mode
 *
 *   fd = socket(s.family, SOCK_STREAM, 0); restore(fd, s):
 *       TCP_REPAIR = 1, SO_REUSEADDR = 1, bind(local)
 *       TCP_QUEUE_SEQ of both queues: the first byte of each saved queue (a FIN counted in
 *                              the saved seq is taken off; it is replayed below)
 *       connect(remote) ....... no SYN in repair mode: straight to ESTABLISHED
 *       TCP_REPAIR_OPTIONS .... MSS, window scale (snd | rcv << 16), SACK, timestamps
 *       TCP_TIMESTAMP ......... our timestamp clock continues where it was
 *       receive queue ......... send() with TCP_RECV_QUEUE selected
 *       send queue, sent part . send() with TCP_SEND_QUEUE selected: queued as in flight,
 *                              so retransmitted after resume, never sent as new data
 *       TCP_NODELAY, TCP_CORK . before the unsent part, since setting them pushes data
 *       TCP_REPAIR_WINDOW ..... (provisional while rcv_nxt lacks a FIN still to replay)
 *       FINs, in the order they happened:
 *         ours ................ shutdown(SHUT_WR) with TCP_SEND_QUEUE selected (FIN counted
 *                              as sent); if bytes were never sent, those and the FIN are
 *                              written with TCP_REPAIR_OFF_NO_WP and repair is turned back on
 *         theirs .............. a FIN|ACK segment "from the peer" through a raw socket
 *         ack of ours ......... likewise an ACK (FIN_WAIT2)
 *       send queue, unsent part (no FIN): written outside repair mode as above
 *       TCP_REPAIR_WINDOW ..... exact values; then the state is checked against s.state
 *   resume(fd)                 TCP_REPAIR = 0 (TCP_REPAIR_OFF, with its window probe: see
 *                              restore.ts for why not TCP_REPAIR_OFF_NO_WP)
 *
 * Works in ESTABLISHED, FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK and CLOSING, over IPv4 and
 * IPv6. Not carried: out-of-order segments the kernel holds (the peer resends them), urgent
 * data (save fails on it), socket options other than NODELAY/CORK (amber's sk-opts does them).
 *
 * For CRIU images, toTcpStreamEntry/fromTcpStreamEntry convert to and from tcp_stream_entry.
 */
export { pause, save } from './save';
export { restore, resume } from './restore';
export { type TcpConnState, validateState, stateToJSON, stateFromJSON } from './state';
export { type TcpStreamEntry, type TcpConnIdentity, toTcpStreamEntry, fromTcpStreamEntry } from './image';
export { type Endpoint, parseSockaddr, encodeSockaddr } from './sockaddr';
export { type FinFlags, finFlags, isSupportedState, refusalReason } from './fin';
export { SoccrError, TcpStateError, BadStateError } from './errors';
export * as tcpStates from './constants';
