/**
 * The value types of the BSD socket facade: addresses, option values,
 * message headers and the results of `sys` calls.
 */

/**
 * The marker a `sys` call returns, instead of -EAGAIN / -EINPROGRESS, when
 * the socket is in blocking mode (no O_NONBLOCK, no MSG_DONTWAIT) and the
 * call would have to sleep. The caller (the Promise layer, or an
 * interpreter) waits for readiness with `sys.wait()` and calls again; see
 * the contract in sys.ts.
 */
export const WOULD_BLOCK: unique symbol = Symbol('WOULD_BLOCK');

/** The type of {@link WOULD_BLOCK}. */
export type WouldBlock = typeof WOULD_BLOCK;

/**
 * A `sys` result: a non-negative value (a descriptor, a byte count, 0 for
 * success), a negative Linux errno, or {@link WOULD_BLOCK}.
 */
export type SysResult = number | WouldBlock;

/**
 * A socket address (struct sockaddr_in / sockaddr_in6). `address` is text
 * (`'192.0.2.1'`, `'2001:db8::1'`) or bytes (4 for AF_INET, 16 for
 * AF_INET6). Addresses the facade returns are always text. `family`
 * AF_UNSPEC (0) is what connect() takes to dissolve an association.
 */
export interface SockAddr {
  readonly family: number;
  readonly address: string | Uint8Array;
  readonly port: number;
}

/** An out-parameter for calls that report an address (accept's and recvfrom's `addr`). */
export interface SockAddrOut {
  addr?: SockAddr;
}

/** struct linger (SO_LINGER). */
export interface Linger {
  readonly onoff: number;
  readonly linger: number;
}

/** struct timeval (SO_RCVTIMEO, SO_SNDTIMEO). {0, 0} means "no timeout". */
export interface Timeval {
  readonly tv_sec: number;
  readonly tv_usec: number;
}

/**
 * struct ip_mreqn / ip_mreq (IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP and
 * IP_MULTICAST_IF): the group, and the interface by index or by address
 * (neither: the route to the group decides).
 */
export interface IpMreq {
  readonly imr_multiaddr?: string | Uint8Array;
  readonly imr_address?: string | Uint8Array;
  readonly imr_ifindex?: number;
}

/** struct ipv6_mreq (IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP): the group, and the interface index (0: by route). */
export interface Ipv6Mreq {
  readonly ipv6mr_multiaddr: string | Uint8Array;
  readonly ipv6mr_interface?: number;
}

/** The values setsockopt takes: an int, or one of the structs above. */
export type OptionValue = number | Linger | Timeval | IpMreq | Ipv6Mreq | string | Uint8Array;

/** What getsockopt returns on success: the value and the length the kernel would report. */
export interface GetsockoptResult {
  /** An int, a struct, or an in_addr as text (IP_MULTICAST_IF). */
  readonly value: number | string | Linger | Timeval | TcpInfoStruct;
  readonly optlen: number;
}

/** struct pollfd. `revents` is written by poll. */
export interface PollFd {
  fd: number;
  events: number;
  revents: number;
}

/** struct msghdr for sendmsg. Control messages are not supported (EINVAL when given). */
export interface SendMsgHdr {
  readonly name?: SockAddr | null;
  readonly iov: readonly Uint8Array[];
  readonly control?: readonly unknown[];
}

/** struct msghdr for recvmsg: `iov` receives the data; `name` and `flags` are written. */
export interface RecvMsgHdr {
  name?: SockAddr;
  readonly iov: readonly Uint8Array[];
  /** msg_flags on return (MSG_TRUNC when a datagram did not fit). */
  flags: number;
}

/**
 * struct tcp_info as Linux's TCP_INFO fills it (linux/tcp.h), field for
 * field by name. Times are µs unless the name says otherwise (the
 * tcpi_last_* fields are ms), windows and sizes in bytes, cwnd and ssthresh
 * in segments.
 */
export interface TcpInfoStruct {
  tcpi_state: number;
  tcpi_ca_state: number;
  tcpi_retransmits: number;
  tcpi_probes: number;
  tcpi_backoff: number;
  tcpi_options: number;
  tcpi_snd_wscale: number;
  tcpi_rcv_wscale: number;
  tcpi_delivery_rate_app_limited: number;
  tcpi_fastopen_client_fail: number;
  tcpi_rto: number;
  tcpi_ato: number;
  tcpi_snd_mss: number;
  tcpi_rcv_mss: number;
  tcpi_unacked: number;
  tcpi_sacked: number;
  tcpi_lost: number;
  tcpi_retrans: number;
  tcpi_fackets: number;
  tcpi_last_data_sent: number;
  tcpi_last_ack_sent: number;
  tcpi_last_data_recv: number;
  tcpi_last_ack_recv: number;
  tcpi_pmtu: number;
  tcpi_rcv_ssthresh: number;
  tcpi_rtt: number;
  tcpi_rttvar: number;
  tcpi_snd_ssthresh: number;
  tcpi_snd_cwnd: number;
  tcpi_advmss: number;
  tcpi_reordering: number;
  tcpi_rcv_rtt: number;
  tcpi_rcv_space: number;
  tcpi_total_retrans: number;
  tcpi_pacing_rate: number;
  tcpi_max_pacing_rate: number;
  tcpi_bytes_acked: number;
  tcpi_bytes_received: number;
  tcpi_segs_out: number;
  tcpi_segs_in: number;
  tcpi_notsent_bytes: number;
  tcpi_min_rtt: number;
  tcpi_data_segs_in: number;
  tcpi_data_segs_out: number;
  tcpi_delivery_rate: number;
  tcpi_busy_time: number;
  tcpi_rwnd_limited: number;
  tcpi_sndbuf_limited: number;
  tcpi_delivered: number;
  tcpi_delivered_ce: number;
  tcpi_bytes_sent: number;
  tcpi_bytes_retrans: number;
  tcpi_dsack_dups: number;
  tcpi_reord_seen: number;
  tcpi_rcv_ooopack: number;
  tcpi_snd_wnd: number;
  tcpi_rcv_wnd: number;
}
