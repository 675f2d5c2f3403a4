import type { IPv4Address, IPv6Address } from '../core/address.js';
import type { ErrnoCode } from '../core/errno.js';
import type { PacketBuffer } from '../core/packet-buffer.js';

/**
 * The contract between the IP layer and the transports above it (ICMP, UDP,
 * TCP). Transports register handlers here; the IP layer never imports them.
 */

/** An address of either family. */
export type IpAddress = IPv4Address | IPv6Address;

/** How an inbound packet was addressed. */
export type DestinationKind = 'unicast' | 'broadcast' | 'multicast';

/** What the IP layer knows about an inbound packet, handed to the transport with its payload. */
export interface InboundIp {
  readonly family: 4 | 6;
  readonly src: IpAddress;
  readonly dst: IpAddress;
  /** IPv4 protocol / IPv6 final next-header. */
  readonly protocol: number;
  /** TTL or hop limit as received. */
  readonly ttl: number;
  /** TOS byte or traffic class. */
  readonly tos: number;
  /** Interface index the packet arrived on. */
  readonly ifindex: number;
  readonly dstKind: DestinationKind;
  /** The whole datagram as received (header + payload), for ICMP errors that quote it. */
  readonly packet: Uint8Array;
  /** True if this datagram was reassembled from fragments. */
  readonly reassembled: boolean;
}

/** Handles one inbound datagram's payload (the bytes after all IP headers). Must not throw. */
export type ProtocolHandler = (ip: InboundIp, payload: Uint8Array) => void;

/** What an ICMP error says about a packet we sent (RFC 1122 §4.2.3.9, RFC 5927). */
export interface IcmpErrorReport {
  readonly family: 4 | 6;
  /**
   * Normalised kind:
   * 'net-unreachable' | 'host-unreachable' | 'protocol-unreachable' | 'port-unreachable' |
   * 'frag-needed' (v4 type 3 code 4, v6 packet too big) | 'admin-prohibited' | 'source-route-failed' |
   * 'time-exceeded' | 'parameter-problem' | 'other'.
   */
  readonly kind: string;
  readonly type: number;
  readonly code: number;
  /** Next-hop MTU for 'frag-needed' (0 if the router did not say). */
  readonly mtu: number;
  /** Who sent the ICMP error (a router or the peer). */
  readonly reporter: IpAddress;
  /** Source, destination and protocol of the quoted (original) datagram. */
  readonly src: IpAddress;
  readonly dst: IpAddress;
  readonly protocol: number;
  /** The quoted transport bytes (at least 8 — ports and, for TCP, the sequence number). */
  readonly quoted: Uint8Array;
  /** The POSIX error this maps to for a socket (RFC 1122 §4.2.3.9; hard vs soft is the transport's call). */
  readonly errno: ErrnoCode;
}

/** Receives ICMP errors about datagrams of one protocol. */
export type IcmpErrorHandler = (report: IcmpErrorReport) => void;

/** The result of a route lookup, with the source address to use. */
export interface RouteResult {
  readonly family: 4 | 6;
  /** Source address chosen for the destination (RFC 1122 §3.3.4.3 / RFC 6724). */
  readonly src: IpAddress;
  readonly dst: IpAddress;
  /** Next hop on the link (the destination itself when on-link). */
  readonly nextHop: IpAddress;
  readonly ifindex: number;
  /** MTU toward the destination: min(link MTU, cached path MTU). */
  readonly mtu: number;
}

/** Options for sending one datagram. */
export interface IpSendOptions {
  readonly dst: IpAddress;
  /** Source; defaults to the route's choice. Must be one of ours (or unspecified for DHCP-like cases). */
  readonly src?: IpAddress;
  readonly protocol: number;
  /** TTL / hop limit; default 64. */
  readonly ttl?: number;
  /** TOS / traffic class; default 0. */
  readonly tos?: number;
  /** IPv4 DF bit. Default: set (PMTU discovery, RFC 1191) for TCP, clear for others unless asked. */
  readonly dontFragment?: boolean;
  /** Route out of this interface, ignoring the routing table (SO_BINDTODEVICE, multicast). */
  readonly ifindex?: number;
  /** IPv6 flow label. */
  readonly flowLabel?: number;
}

/**
 * An ICMP error a transport (or the IP layer itself) asks to send about a
 * datagram it received. The ICMP layer applies RFC 1122 §3.2.2's "never
 * about" rules and rate limiting before anything goes out.
 */
export type LocalIcmpError =
  | 'protocol-unreachable'
  | 'port-unreachable'
  | 'host-unreachable'
  | 'frag-needed'
  | 'reassembly-timeout'
  | 'ttl-exceeded'
  | 'parameter-problem';

/** Sends ICMP errors on the IP layer's behalf (installed by the ICMP layer). */
export type IcmpErrorSender = (original: InboundIp, error: LocalIcmpError, param: number) => void;

/** 'ok', or why the datagram was not sent. */
export type IpSendResult = 'ok' | ErrnoCode;

/** The IP layer of one stack, as transports use it. */
export interface IpLayer {
  /** Installs the handler for a protocol number (one per protocol). */
  registerProtocol(protocol: number, handler: ProtocolHandler): void;
  /** Installs the handler for ICMP errors that quote datagrams of `protocol`. */
  registerErrorHandler(protocol: number, handler: IcmpErrorHandler): void;
  /** Looks up the route to `dst` and chooses a source; null when unreachable. */
  route(dst: IpAddress, src?: IpAddress): RouteResult | null;
  /** True if `addr` is one of this stack's unicast addresses. */
  isLocalAddress(addr: IpAddress): boolean;
  /**
   * Sends `payload` (the transport header and data, as a view of `pkt`) to
   * `opts.dst`. The IP layer prepends its header into the buffer's headroom.
   */
  send(opts: IpSendOptions, pkt: PacketBuffer): IpSendResult;
  /**
   * Asks for an ICMP error about a received datagram (`param`: the MTU for
   * 'frag-needed', the pointer for 'parameter-problem', else 0). Never throws;
   * silently does nothing where the RFCs forbid an error.
   */
  sendIcmpError(original: InboundIp, error: LocalIcmpError, param?: number): void;
}
