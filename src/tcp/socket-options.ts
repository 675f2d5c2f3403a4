import type { IpAddress, IpSendOptions } from '../ip/types.js';
import { IPPROTO_TCP } from './header.js';

/** Socket options of one connection or listener (the TCP and SOL_SOCKET knobs the issue lists). */
export interface TcpSocketOptions {
  /** TCP_NODELAY: disable Nagle (RFC 896). */
  noDelay: boolean;
  /** TCP_CORK: hold partial segments until uncorked (or the persist timer fires, ~200 ms). */
  cork: boolean;
  /** SO_KEEPALIVE. */
  keepAlive: boolean;
  /** TCP_KEEPIDLE, seconds (0 = stack default). */
  keepIdleS: number;
  /** TCP_KEEPINTVL, seconds (0 = stack default). */
  keepIntvlS: number;
  /** TCP_KEEPCNT (0 = stack default). */
  keepCnt: number;
  /** TCP_USER_TIMEOUT, ms (0 = off). */
  userTimeoutMs: number;
  /**
   * SO_LINGER on/off and seconds. On with 0 s makes close() abortive (RST);
   * on with more lets a blocking close wait for the FIN to be acknowledged
   * (see TcpConnection.closeLingering).
   */
  lingerOn: boolean;
  lingerS: number;
  /** TCP_LINGER2: FIN_WAIT_2 lifetime of an orphan, seconds (0 = stack default; negative = no FIN_WAIT_2, RST). */
  linger2S: number;
  /** TCP_MAXSEG: clamp on the MSS we announce and use (0 = none). */
  maxSeg: number;
  /** SO_RCVBUF bytes (0 = stack default, auto-tuned). */
  rcvBuf: number;
  /** SO_SNDBUF bytes (0 = stack default). */
  sndBuf: number;
  /** Offer / accept RFC 7323 timestamps, RFC 2018 SACK, RFC 7323 window scaling. */
  timestamps: boolean;
  sack: boolean;
  windowScaling: boolean;
  /**
   * TCP_DEFER_ACCEPT, as SYN-ACK retransmissions (Linux stores the seconds
   * given to setsockopt this way: see {@link deferAcceptRetransFor}); 0 = off.
   * On a listener, a bare ACK completing the handshake is dropped until data
   * arrives or that many SYN-ACK timeouts passed; on a connecting socket, the
   * ACK of the SYN-ACK is delayed to ride on the first data.
   */
  deferAccept: number;
  /**
   * IP header fields of every segment the connection (or, on a listener,
   * each SYN-ACK and accepted child) sends, from the first SYN on: IPv4
   * TTL / IPv6 hop limit (IP_TTL / IPV6_UNICAST_HOPS; -1 = the stack
   * default, 64), IPv4 TOS / IPv6 traffic class (IP_TOS / IPV6_TCLASS), and
   * the IPv4 DF bit (cleared by IP_MTU_DISCOVER IP_PMTUDISC_DONT/OMIT;
   * default set, RFC 1191 path MTU discovery).
   */
  ttl: number;
  tos: number;
  dontFragment: boolean;
}

/**
 * IP send options for a TCP segment from `src` to `dst` under socket
 * options `so`: a connection's segments and a listener's SYN-ACKs (Linux
 * tcp_v4_send_synack uses the listener's TTL and TOS).
 */
export function ipSendOptionsFor(dst: IpAddress, src: IpAddress, so: TcpSocketOptions): IpSendOptions {
  const o: { -readonly [K in keyof IpSendOptions]: IpSendOptions[K] } = { dst, src, protocol: IPPROTO_TCP, dontFragment: so.dontFragment };
  if (so.ttl >= 0) o.ttl = so.ttl;
  if (so.tos !== 0) o.tos = so.tos;
  return o;
}

/** Default per-socket options (Linux socket defaults). */
export function defaultSocketOptions(): TcpSocketOptions {
  return {
    noDelay: false, cork: false, keepAlive: false, keepIdleS: 0, keepIntvlS: 0, keepCnt: 0,
    userTimeoutMs: 0, lingerOn: false, lingerS: 0, linger2S: 0, maxSeg: 0, rcvBuf: 0, sndBuf: 0,
    timestamps: true, sack: true, windowScaling: true, deferAccept: 0, ttl: -1, tos: 0, dontFragment: true,
  };
}

/** TCP_TIMEOUT_INIT and TCP_RTO_MAX in seconds, the scale TCP_DEFER_ACCEPT is converted with. */
const DEFER_TIMEOUT_INIT_S = 1;
const DEFER_RTO_MAX_S = 120;

/**
 * setsockopt(TCP_DEFER_ACCEPT, seconds) → SYN-ACK retransmissions (Linux
 * secs_to_retrans): the fewest backed-off SYN-ACK timeouts (1 s, 2 s, 4 s …,
 * at most 120 s each) whose sum reaches `seconds`; 0 or less turns it off.
 */
export function deferAcceptRetransFor(seconds: number): number {
  if (!(seconds > 0)) return 0;
  let timeout = DEFER_TIMEOUT_INIT_S;
  let period = timeout;
  let n = 1;
  while (seconds > period && n < 255) {
    n++;
    timeout = Math.min(timeout * 2, DEFER_RTO_MAX_S);
    period += timeout;
  }
  return n;
}

/** getsockopt(TCP_DEFER_ACCEPT): the seconds `retrans` SYN-ACK timeouts last (Linux retrans_to_secs). */
export function deferAcceptSecondsFor(retrans: number): number {
  if (retrans <= 0) return 0;
  let timeout = DEFER_TIMEOUT_INIT_S;
  let period = timeout;
  for (let i = 1; i < retrans; i++) {
    timeout = Math.min(timeout * 2, DEFER_RTO_MAX_S);
    period += timeout;
  }
  return period;
}
