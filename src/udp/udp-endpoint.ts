import type { IPv4Address, IPv6Address } from '../core/address.js';
import type { ErrnoCode } from '../core/errno.js';
import type { IpAddress } from '../ip/types.js';
import { isV4MappedAddress, sameAddress, wildcardOf } from './addresses.js';
import { QueuedEndpoint } from './queued-endpoint.js';
import type { DatagramOptionName, DatagramOptionValues } from './socket-options.js';
import type { ReuseportGroup } from './udp-demux.js';
import type { UdpLayer } from './udp-layer.js';

/** A received datagram with what IP_PKTINFO, IP_RECVTTL and IP_RECVTOS would report. */
export interface ReceivedDatagram {
  /** The payload (a private copy). */
  readonly data: Uint8Array;
  readonly srcAddress: IpAddress;
  readonly srcPort: number;
  /** The destination it was sent to: ours, a broadcast or a group. */
  readonly dstAddress: IpAddress;
  /** Interface it arrived on. */
  readonly ifindex: number;
  readonly ttl: number;
  readonly tos: number;
}

/** A destination for {@link UdpEndpoint.send}. */
export interface UdpDestination {
  readonly address: IpAddress;
  readonly port: number;
}

/** Which interface a multicast membership call means: by index, by address, or (neither) by route. */
export interface MembershipInterface {
  readonly ifindex?: number;
  readonly address?: IPv4Address;
}

/** One IP_ADD_MEMBERSHIP of an endpoint. */
export interface Membership {
  readonly group: IPv4Address;
  readonly ifindex: number;
}

/** One IPV6_JOIN_GROUP of an endpoint. */
export interface Membership6 {
  readonly group: IPv6Address;
  readonly ifindex: number;
}

/**
 * One UDP endpoint: what a SOCK_DGRAM/IPPROTO_UDP socket is below the
 * descriptor layer. Created by {@link UdpLayer.open}. Calls return 'ok' or
 * the errno Linux gives; nothing throws on bad input from the network or
 * the application. Receiving (recv, peek, FIONREAD, SO_ERROR, listener) is
 * inherited from {@link QueuedEndpoint}.
 *
 * The address and port fields mirror Linux's inet_sock and are kept by the
 * UDP layer: read them, do not assign them.
 */
export class UdpEndpoint extends QueuedEndpoint<ReceivedDatagram> {
  /** Local address datagrams must be sent to (inet_rcv_saddr); the wildcard accepts any. */
  localAddress: IpAddress;
  /** Local port; 0 while unbound. */
  localPort = 0;
  /** Source address for output (inet_saddr); the wildcard lets the route choose. */
  sourceAddress: IpAddress;
  /** The peer set by connect (the wildcard when not connected). */
  remoteAddress: IpAddress;
  remotePort = 0;
  connected = false;
  /** The application chose the address / the port (SOCK_BINDADDR_LOCK / SOCK_BINDPORT_LOCK). */
  addressLocked = false;
  portLocked = false;
  /** IP_ADD_MEMBERSHIP state. */
  readonly memberships: Membership[] = [];
  /** IPV6_JOIN_GROUP state. */
  readonly memberships6: Membership6[] = [];
  /** The SO_REUSEPORT group, set at bind. */
  reuseGroup: ReuseportGroup | null = null;

  /** @internal Use {@link UdpLayer.open}. */
  constructor(
    private readonly layer: UdpLayer,
    readonly family: 4 | 6,
  ) {
    super();
    this.localAddress = wildcardOf(family);
    this.sourceAddress = this.localAddress;
    this.remoteAddress = this.localAddress;
  }

  /** bind(): `port` 0 picks an ephemeral port. EINVAL if already bound, EADDRNOTAVAIL, EADDRINUSE. */
  bind(address: IpAddress, port: number): 'ok' | ErrnoCode {
    return this.layer.bindEndpoint(this, address, port);
  }

  /** connect(): sets the default peer and filters input to it. Binds an ephemeral port if needed. */
  connect(address: IpAddress, port: number): 'ok' | ErrnoCode {
    return this.layer.connectEndpoint(this, address, port);
  }

  /** connect(AF_UNSPEC): forgets the peer; releases an address and port the application did not choose. */
  disconnect(): 'ok' | ErrnoCode {
    return this.layer.disconnectEndpoint(this);
  }

  /**
   * Sends one datagram to `to`, or to the connected peer. Returns 'ok' or:
   * EDESTADDRREQ, EINVAL (port 0), EAFNOSUPPORT, EMSGSIZE, EACCES (broadcast
   * without SO_BROADCAST), ENETUNREACH, EAGAIN (no ephemeral port), a
   * pending ICMP-reported error (reported once, then cleared), EBADF.
   */
  send(payload: Uint8Array, to?: UdpDestination): 'ok' | ErrnoCode {
    return this.layer.sendFrom(this, payload, to);
  }

  /** setsockopt(). */
  setOption<K extends DatagramOptionName>(name: K, value: DatagramOptionValues[K]): 'ok' | ErrnoCode {
    return this.layer.setEndpointOption(this, name, value);
  }

  /** IP_ADD_MEMBERSHIP: EINVAL (not a group), ENODEV, EADDRINUSE (already joined there), ENOBUFS (too many). */
  addMembership(group: IPv4Address, on: MembershipInterface = {}): 'ok' | ErrnoCode {
    return this.layer.joinGroup(this, group, on);
  }

  /** IP_DROP_MEMBERSHIP: EADDRNOTAVAIL when not joined, ENODEV. */
  dropMembership(group: IPv4Address, on: MembershipInterface = {}): 'ok' | ErrnoCode {
    return this.layer.leaveGroup(this, group, on);
  }

  /**
   * IPV6_JOIN_GROUP (IPV6_ADD_MEMBERSHIP) on an AF_INET6 endpoint; `ifindex`
   * 0 picks the interface of the route to the group. EINVAL (not ff00::/8),
   * ENODEV, EADDRINUSE (already joined there), ENOBUFS (too many).
   */
  joinGroup6(group: IPv6Address, ifindex = 0): 'ok' | ErrnoCode {
    return this.layer.joinGroup6(this, group, ifindex);
  }

  /** IPV6_LEAVE_GROUP (IPV6_DROP_MEMBERSHIP): EADDRNOTAVAIL when not joined, ENODEV. */
  leaveGroup6(group: IPv6Address, ifindex = 0): 'ok' | ErrnoCode {
    return this.layer.leaveGroup6(this, group, ifindex);
  }

  /** True if this endpoint joined `group` on `ifindex` (either family). */
  isMember(group: IpAddress, ifindex: number): boolean {
    if (typeof group === 'number') {
      for (const m of this.memberships) if (m.group === group && m.ifindex === ifindex) return true;
      return false;
    }
    for (const m of this.memberships6) if (m.ifindex === ifindex && sameAddress(m.group, group)) return true;
    return false;
  }

  /** Releases the port, leaves every group and drops the queue. Idempotent. */
  close(): void {
    this.layer.closeEndpoint(this);
  }

  /** @internal Called by the layer when closing. */
  markClosed(): void {
    this.release();
  }

  protected override onRead(d: ReceivedDatagram): void {
    // Linux counts by the datagram's family: an IPv4 datagram read from an
    // AF_INET6 socket (v4-mapped) is a UdpInDatagrams (udpv6_recvmsg).
    this.layer.countDelivered(typeof d.srcAddress === 'number' || isV4MappedAddress(d.srcAddress) ? 4 : 6);
  }
}
