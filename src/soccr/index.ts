/**
 * soccr: TCP connection repair. Saves a live TCP connection from one socket and rebuilds it
 * on another (in this process or another, on this host or another with the same addresses),
 * without the peer noticing. Built on the kernel's TCP_REPAIR (needs CAP_NET_ADMIN; the
 * states where the peer's FIN arrived, and FIN_WAIT2, also need CAP_NET_RAW).
 *
 *   pause(fd)                  TCP_REPAIR = 1. send() on the socket fails; close() sends
 *                              neither FIN nor RST. The kernel still receives and acks
 *                              segments: keep the peer quiet (a network lock) from here
 *                              until the new socket is restored, or bytes acked after the
 *                              snapshot are lost and segments meeting no socket draw a RST.
 *   const s = save(fd)         reads the connection into a TcpConnState:
 *       tcp_info .............. tcpi_state (SYN_*, TIME_WAIT, CLOSE, LISTEN: TcpStateError),
 *                              tcpi_options (timestamps, SACK, window scale) and the shifts
 *       getsockname/getpeername family, local and remote address and port
 *       TCP_REPAIR_QUEUE = TCP_RECV_QUEUE; TCP_QUEUE_SEQ (rcv_nxt); SIOCINQ bytes read with
 *                              recv(MSG_PEEK | MSG_DONTWAIT); TCP_INQ's count of what is
 *                              queued, to refuse urgent data the reads stop at
 *       TCP_REPAIR_QUEUE = TCP_SEND_QUEUE; TCP_QUEUE_SEQ (write_seq); SIOCOUTQ bytes read with
 *                              recv(MSG_PEEK); SIOCOUTQNSD, the never-sent tail; our FIN
 *                              taken out of both counts
 *       (both queues are read again until two reads agree)
 *       TCP_MAXSEG (mss_clamp in repair mode), TCP_TIMESTAMP, TCP_REPAIR_WINDOW
 *       (snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup), TCP_NODELAY, TCP_CORK
 *   close(fd)                  silent, as the socket is in repair mode
 *
 *   fd = socket(s.family, SOCK_STREAM, 0); restore(fd, s):
 *       SO_REUSEADDR = 1, then TCP_REPAIR = 1 (repair's forced port reuse must win), bind(local)
 *       TCP_QUEUE_SEQ of both queues = their first saved byte (a FIN counted in the saved
 *                              seq is taken off here and replayed below)
 *       connect(remote) ....... no SYN in repair mode: straight to ESTABLISHED
 *       TCP_REPAIR_OPTIONS .... MSS, window scale (snd | rcv << 16), SACK, timestamps
 *       TCP_TIMESTAMP ......... our timestamp clock goes on where it was
 *       receive queue ......... send() with TCP_RECV_QUEUE selected
 *       send queue, sent part . send() with TCP_SEND_QUEUE selected: queued as in flight,
 *                              so retransmitted after resume, never sent as new data
 *       TCP_NODELAY, TCP_CORK . before the unsent part, as setting them pushes queued data
 *       TCP_REPAIR_WINDOW ..... provisional while rcv_nxt lacks a FIN still to replay
 *       FINs, in the order they happened (CLOSING: ours first; LAST_ACK: theirs first):
 *         ours ................ shutdown(SHUT_WR) with TCP_SEND_QUEUE selected: the FIN is
 *                              queued as sent. If bytes were never sent, those and then
 *                              the FIN are written with repair off (TCP_REPAIR_OFF_NO_WP)
 *                              and repair is turned back on
 *         theirs .............. a FIN|ACK "from the peer" through a raw socket
 *         the ack of ours ..... likewise, an ACK (FIN_WAIT2)
 *       send queue, unsent part, when no FIN of ours follows it: written as above
 *       TCP_REPAIR_WINDOW ..... the exact saved values; then tcpi_state must be s.state
 *   resume(fd)                 TCP_REPAIR = 0 (TCP_REPAIR_OFF, with its window probe: see
 *                              restore.ts for why not TCP_REPAIR_OFF_NO_WP)
 *
 * Works in ESTABLISHED, FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK and CLOSING, over IPv4 and
 * IPv6. Not carried: out-of-order segments the kernel holds (the peer resends them), urgent
 * data (save refuses it), socket options other than NODELAY/CORK (amber's sk-opts does them).
 * If a fresh socket's buffers are too small for a queue, restore raises them and then clears
 * the lock that sets (SO_BUF_LOCK), so autotuning goes on.
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
export {
  AF_INET, AF_INET6, TCP_ESTABLISHED, TCP_SYN_SENT, TCP_SYN_RECV, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_TIME_WAIT, TCP_CLOSE,
  TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_LISTEN, TCP_CLOSING, tcpStateName,
} from './constants';
export type { RepairWindow } from './structs';
