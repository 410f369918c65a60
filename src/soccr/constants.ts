/**
 * Kernel constants soccr needs (Linux UAPI values, x86_64). Kept in one place so every
 * other file reads as names; none of these are exported by Node.
 */

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_RAW = 3;
export const IPPROTO_TCP = 6;
/** A raw socket of this protocol sends packets whose IP header we build ourselves (header included). */
export const IPPROTO_RAW = 255;

export const SOL_SOCKET = 1;
export const SOL_TCP = 6;

export const SO_REUSEADDR = 2;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const SO_DOMAIN = 39;
/** Which of the two buffer sizes the user pinned (5.14+); setting it back re-enables autotuning. */
export const SO_BUF_LOCK = 72;

export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_CORK = 3;
export const TCP_INFO = 11;
export const TCP_REPAIR = 19;
export const TCP_REPAIR_QUEUE = 20;
export const TCP_QUEUE_SEQ = 21;
export const TCP_REPAIR_OPTIONS = 22;
export const TCP_TIMESTAMP = 24;
export const TCP_REPAIR_WINDOW = 29;
/** Have recvmsg report rcv_nxt - copied_seq in a control message (4.18+). */
export const TCP_INQ = 36;

/** Values of TCP_REPAIR. */
export const TCP_REPAIR_ON = 1;
export const TCP_REPAIR_OFF = 0;
/** Leave repair mode without the window probe TCP_REPAIR_OFF sends (4.19+). */
export const TCP_REPAIR_OFF_NO_WP = -1;

/** Values of TCP_REPAIR_QUEUE: which queue TCP_QUEUE_SEQ, send and recv act on. */
export const TCP_NO_QUEUE = 0;
export const TCP_RECV_QUEUE = 1;
export const TCP_SEND_QUEUE = 2;

/** Option codes of TCP_REPAIR_OPTIONS (the on-wire TCP option kinds). */
export const TCPOPT_MSS = 2;
export const TCPOPT_WINDOW = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_TIMESTAMP = 8;

/** Bits of tcp_info.tcpi_options. */
export const TCPI_OPT_TIMESTAMPS = 1;
export const TCPI_OPT_SACK = 2;
export const TCPI_OPT_WSCALE = 4;

/** tcp_info.tcpi_state values (include/net/tcp_states.h). */
export const TCP_ESTABLISHED = 1;
export const TCP_SYN_SENT = 2;
export const TCP_SYN_RECV = 3;
export const TCP_FIN_WAIT1 = 4;
export const TCP_FIN_WAIT2 = 5;
export const TCP_TIME_WAIT = 6;
export const TCP_CLOSE = 7;
export const TCP_CLOSE_WAIT = 8;
export const TCP_LAST_ACK = 9;
export const TCP_LISTEN = 10;
export const TCP_CLOSING = 11;

export const TCP_STATE_NAMES: Record<number, string> = {
  [TCP_ESTABLISHED]: 'ESTABLISHED',
  [TCP_SYN_SENT]: 'SYN_SENT',
  [TCP_SYN_RECV]: 'SYN_RECV',
  [TCP_FIN_WAIT1]: 'FIN_WAIT1',
  [TCP_FIN_WAIT2]: 'FIN_WAIT2',
  [TCP_TIME_WAIT]: 'TIME_WAIT',
  [TCP_CLOSE]: 'CLOSE',
  [TCP_CLOSE_WAIT]: 'CLOSE_WAIT',
  [TCP_LAST_ACK]: 'LAST_ACK',
  [TCP_LISTEN]: 'LISTEN',
  [TCP_CLOSING]: 'CLOSING',
};

export function tcpStateName(state: number): string {
  return TCP_STATE_NAMES[state] ?? `state ${state}`;
}

export const SHUT_WR = 1;

export const MSG_PEEK = 0x2;
export const MSG_DONTWAIT = 0x40;

/** Socket ioctls: bytes unread, bytes not yet acknowledged, bytes not yet sent. */
export const SIOCINQ = 0x541b;
export const SIOCOUTQ = 0x5411;
export const SIOCOUTQNSD = 0x894b;

/** Largest window-scale shift TCP allows (RFC 7323). */
export const TCP_MAX_WSCALE = 14;
