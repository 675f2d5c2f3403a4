import { isIPv4Multicast, type IPv4Address, type IPv6Address } from '../core/address.js';
import { readU16 } from '../core/bytes.js';
import type { StackContext } from '../core/context.js';
import { EphemeralPortAllocator } from '../core/ephemeral-ports.js';
import type { ErrnoCode } from '../core/errno.js';
import { Ipv4GroupRefcounts, type Ipv4MulticastMembership } from '../ip/igmp.js';
import type { IpStack } from '../ip/ip-layer.js';
import type { IcmpErrorReport, InboundIp, IpAddress } from '../ip/types.js';
import { ipv4ViewOf, isV4MappedAddress, isWildcard, mapV4, unmapV4, wildcardOf } from './addresses.js';
import { bindableIpv4, isBroadcastDestination, routeDatagram, routeDatagram6, setDatagramOption } from './datagram-route.js';
import { IPPROTO_UDP, parseUdp, udpChecksumValid } from './header.js';
import { datagramIcmpError } from './socket-errors.js';
import type { DatagramOptionName, DatagramOptionValues } from './socket-options.js';
import { takesMulticast, UdpPortTable } from './udp-demux.js';
import { UdpEndpoint, type MembershipInterface, type UdpDestination } from './udp-endpoint.js';
import { udpOutput } from './udp-output.js';

/** Linux net.ipv4.igmp_max_memberships: groups one socket may join. */
export const MAX_MEMBERSHIPS = 20;

/** Options for {@link UdpLayer}. */
export interface UdpLayerOptions {
  /**
   * Who turns group joins into interface state and reports (the stack's
   * IgmpLayer). Default: plain reference counts on the interfaces, no IGMP.
   */
  membership?: Ipv4MulticastMembership;
  /** Ephemeral port chooser (default: a new RFC 6056 allocator over 32768-60999). */
  ports?: EphemeralPortAllocator;
}

/**
 * UDP (RFC 768, RFC 1122 §4.1) for one stack: the endpoint table, input
 * demultiplexing with Linux's lookup rules, output, ICMP error delivery and
 * the multicast memberships of endpoints.
 *
 * Counters follow Linux: UdpInDatagrams counts datagrams the application
 * reads (udp_recvmsg), not arrivals; UdpInErrors counts malformed datagrams,
 * checksum errors and receive-buffer overflows.
 */
export class UdpLayer {
  readonly table: UdpPortTable;
  private readonly ports: EphemeralPortAllocator;
  private readonly membership: Ipv4MulticastMembership;
  private readonly open_ = new Set<UdpEndpoint>();
  /** Scratch list for multicast delivery (reused: no allocation per datagram). */
  private readonly matches: UdpEndpoint[] = [];

  constructor(
    private readonly ctx: StackContext,
    private readonly ip: IpStack,
    options: UdpLayerOptions = {},
  ) {
    this.table = new UdpPortTable(ctx.random);
    this.ports = options.ports ?? new EphemeralPortAllocator(ctx.random);
    this.membership = options.membership ?? new Ipv4GroupRefcounts(ip);
    ip.registerProtocol(IPPROTO_UDP, (info, payload) => this.input(info, payload));
    ip.registerErrorHandler(IPPROTO_UDP, (report) => this.icmpError(report));
  }

  /**
   * A new, unbound endpoint: socket(AF_INET, SOCK_DGRAM, 0) for family 4,
   * socket(AF_INET6, SOCK_DGRAM, 0) for family 6. An IPv6 endpoint is
   * dual-stack unless IPV6_V6ONLY is set before bind, as in Linux: it takes
   * IPv4 addresses (as numbers or ::ffff:a.b.c.d) and reports IPv4 peers
   * v4-mapped.
   */
  open(family: 4 | 6 = 4): UdpEndpoint {
    const ep = new UdpEndpoint(this, family);
    this.open_.add(ep);
    return ep;
  }

  /** Every open endpoint (for `ss -uan`-style listings). */
  endpoints(): readonly UdpEndpoint[] {
    return [...this.open_];
  }

  /** Closes every endpoint (stack shutdown). */
  close(): void {
    for (const ep of [...this.open_]) this.closeEndpoint(ep);
  }

  // ---- endpoint operations (called through UdpEndpoint) -------------------

  /** @internal */
  bindEndpoint(ep: UdpEndpoint, address: IpAddress, port: number): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    if (ep.family === 4 && typeof address !== 'number') return 'EAFNOSUPPORT';
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) return 'EINVAL';
    if (ep.localPort !== 0 || !isWildcard(ep.localAddress)) return 'EINVAL';
    let receiveOnly: boolean;
    if (typeof address === 'number') {
      if (ep.family === 6) return this.bindEndpoint(ep, mapV4(address), port);
      if (!bindableIpv4(this.ip, address, true)) return 'EADDRNOTAVAIL';
      receiveOnly = isIPv4Multicast(address) || isBroadcastDestination(this.ip, address);
    } else if (address.length !== 16) {
      return 'EINVAL';
    } else if (isV4MappedAddress(address)) {
      // inet6_bind: a v4-mapped address binds the IPv4 side, which V6ONLY forbids.
      if (ep.options.v6Only) return 'EINVAL';
      const v4 = unmapV4(address);
      if (!bindableIpv4(this.ip, v4, true)) return 'EADDRNOTAVAIL';
      receiveOnly = isIPv4Multicast(v4) || isBroadcastDestination(this.ip, v4);
    } else {
      receiveOnly = address[0] === 0xff;
      if (!isWildcard(address) && !receiveOnly && !this.ip.isLocalAddress(address)) return 'EADDRNOTAVAIL';
    }
    let chosen = port;
    if (port === 0) {
      chosen = this.ports.select(address, 0, 0, (p) => this.table.inUse(ep, address, p));
      if (chosen < 0) return 'EADDRINUSE';
    } else if (this.table.inUse(ep, address, port)) {
      return 'EADDRINUSE';
    }
    ep.localAddress = address;
    // inet_bind: a group or broadcast address is for receiving; the source is the route's.
    ep.sourceAddress = receiveOnly ? wildcardOf(ep.family) : address;
    ep.addressLocked = !isWildcard(address);
    ep.portLocked = port !== 0;
    ep.localPort = chosen;
    this.table.insert(ep);
    return 'ok';
  }

  /** inet_autobind: an ephemeral port for an endpoint that sends or connects unbound. */
  private autobind(ep: UdpEndpoint): 'ok' | ErrnoCode {
    if (ep.localPort !== 0) return 'ok';
    const addr = ep.localAddress;
    const port = this.ports.select(addr, 0, 0, (p) => this.table.inUse(ep, addr, p));
    if (port < 0) return 'EAGAIN';
    ep.localPort = port;
    this.table.insert(ep);
    return 'ok';
  }

  /** @internal ip4_datagram_connect / ip6_datagram_connect. */
  connectEndpoint(ep: UdpEndpoint, address: IpAddress, port: number): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    if (ep.family === 4 && typeof address !== 'number') return 'EAFNOSUPPORT';
    if (ep.family === 6 && typeof address === 'number') address = mapV4(address);
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) return 'EINVAL';
    if (typeof address !== 'number' && address.length !== 16) return 'EINVAL';
    let src: IpAddress;
    if (typeof address === 'number' || isV4MappedAddress(address)) {
      // ip6_datagram_connect_v4_mapped: IPv4 underneath, unless V6ONLY.
      if (ep.options.v6Only) return 'ENETUNREACH';
      const dst4 = typeof address === 'number' ? address : unmapV4(address);
      const source4 = ipv4ViewOf(ep.sourceAddress, false);
      if (source4 === null) return 'EAFNOSUPPORT';
      const bound = this.autobind(ep);
      if (bound !== 'ok') return bound;
      const route = routeDatagram(this.ip, ep.options, source4, dst4);
      if (typeof route === 'string') return route;
      if (!isIPv4Multicast(dst4) && isBroadcastDestination(this.ip, dst4) && !ep.options.broadcast) return 'EACCES';
      src = ep.family === 4 ? route.src : mapV4(route.src);
    } else {
      if (isV4MappedAddress(ep.localAddress)) return 'EAFNOSUPPORT';
      const bound = this.autobind(ep);
      if (bound !== 'ok') return bound;
      const route = routeDatagram6(this.ip, ep.options, ep.sourceAddress as IPv6Address, address);
      if (typeof route === 'string') return route;
      src = route.src;
    }
    if (isWildcard(ep.sourceAddress)) ep.sourceAddress = src;
    if (isWildcard(ep.localAddress)) {
      // Linux rehashes the socket under the source it will use.
      ep.localAddress = src;
    }
    ep.remoteAddress = address;
    ep.remotePort = port;
    ep.connected = true;
    return 'ok';
  }

  /** @internal __udp_disconnect. */
  disconnectEndpoint(ep: UdpEndpoint): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    ep.connected = false;
    ep.remoteAddress = wildcardOf(ep.family);
    ep.remotePort = 0;
    if (!ep.addressLocked) {
      ep.localAddress = wildcardOf(ep.family);
      ep.sourceAddress = ep.localAddress;
    }
    if (!ep.portLocked && ep.localPort !== 0) {
      // An autobound port goes back to the pool.
      this.table.remove(ep);
      ep.localPort = 0;
    }
    return 'ok';
  }

  /** @internal */
  sendFrom(ep: UdpEndpoint, payload: Uint8Array, to: UdpDestination | undefined): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    const bound = this.autobind(ep);
    if (bound !== 'ok') return bound;
    return udpOutput(this.ctx, this.ip, ep, payload, to);
  }

  /** @internal */
  setEndpointOption<K extends DatagramOptionName>(ep: UdpEndpoint, name: K, value: DatagramOptionValues[K]): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    if ((name as string).startsWith('IPV6_')) {
      // SOL_IPV6 options belong to AF_INET6 sockets (ipv6_setsockopt on an AF_INET socket: ENOPROTOOPT).
      if (ep.family !== 6) return 'ENOPROTOOPT';
      // IPV6_V6ONLY changes what the bound port covers: only before bind (do_ipv6_setsockopt).
      if (name === 'IPV6_V6ONLY' && ep.localPort !== 0) return 'EINVAL';
      if (name === 'IPV6_MULTICAST_IF') {
        const ifindex = value as number;
        if (typeof ifindex === 'number' && ifindex !== 0 && this.ip.interfaceByIndex(ifindex) === undefined) return 'ENODEV';
        if (typeof ifindex === 'number' && ifindex !== 0 && ep.options.bindToDevice !== 0 && ifindex !== ep.options.bindToDevice) return 'EINVAL';
      }
    }
    return setDatagramOption(this.ip, ep.options, name, value);
  }

  /** @internal ipv6_sock_mc_join. */
  joinGroup6(ep: UdpEndpoint, group: IPv6Address, ifindex: number): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    if (ep.family !== 6) return 'ENOPROTOOPT';
    if (group.length !== 16 || group[0] !== 0xff) return 'EINVAL';
    const idx = this.membershipInterface6(group, ifindex);
    if (idx === 0) return 'ENODEV';
    if (ep.isMember(group, idx)) return 'EADDRINUSE';
    if (ep.memberships6.length >= MAX_MEMBERSHIPS) return 'ENOBUFS';
    if (!this.ip.joinIpv6Group(idx, group)) return 'ENODEV';
    ep.memberships6.push({ group: group.slice(), ifindex: idx });
    return 'ok';
  }

  /** @internal ipv6_sock_mc_drop. */
  leaveGroup6(ep: UdpEndpoint, group: IPv6Address, ifindex: number): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    if (ep.family !== 6) return 'ENOPROTOOPT';
    if (group.length !== 16 || group[0] !== 0xff) return 'EINVAL';
    const idx = this.membershipInterface6(group, ifindex);
    if (idx === 0) return 'ENODEV';
    const i = ep.memberships6.findIndex((m) => m.ifindex === idx && sameGroup(m.group, group));
    if (i === -1) return 'EADDRNOTAVAIL';
    ep.memberships6.splice(i, 1);
    this.ip.leaveIpv6Group(idx, group);
    return 'ok';
  }

  /** The interface an IPv6 membership call means: the one given, else the route's to the group; 0 when none. */
  private membershipInterface6(group: IPv6Address, ifindex: number): number {
    if (ifindex !== 0) return this.ip.interfaceByIndex(ifindex)?.index ?? 0;
    const r = this.ip.route6(group);
    return typeof r === 'string' ? 0 : r.ifindex;
  }

  /** @internal ip_mc_join_group. */
  joinGroup(ep: UdpEndpoint, group: IPv4Address, on: MembershipInterface): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    if (!isIPv4Multicast(group)) return 'EINVAL';
    const ifindex = this.membershipInterface(group, on);
    if (ifindex === 0) return 'ENODEV';
    if (ep.isMember(group, ifindex)) return 'EADDRINUSE';
    if (ep.memberships.length >= MAX_MEMBERSHIPS) return 'ENOBUFS';
    ep.memberships.push({ group, ifindex });
    this.membership.join(ifindex, group);
    return 'ok';
  }

  /** @internal ip_mc_leave_group. */
  leaveGroup(ep: UdpEndpoint, group: IPv4Address, on: MembershipInterface): 'ok' | ErrnoCode {
    if (ep.closed) return 'EBADF';
    const ifindex = this.membershipInterface(group, on);
    if (ifindex === 0) return 'ENODEV';
    const i = ep.memberships.findIndex((m) => m.group === group && m.ifindex === ifindex);
    if (i === -1) return 'EADDRNOTAVAIL';
    ep.memberships.splice(i, 1);
    this.membership.leave(ifindex, group);
    return 'ok';
  }

  /** ip_mc_find_dev: by index, by address, else by the route to the group; 0 when none. */
  private membershipInterface(group: IPv4Address, on: MembershipInterface): number {
    if (on.ifindex !== undefined && on.ifindex !== 0) return this.ip.interfaceByIndex(on.ifindex)?.index ?? 0;
    if (on.address !== undefined && on.address !== 0) return this.ip.interfaceOfIpv4(on.address)?.index ?? 0;
    return this.ip.route(group)?.ifindex ?? 0;
  }

  /** @internal */
  closeEndpoint(ep: UdpEndpoint): void {
    if (ep.closed) return;
    ep.markClosed();
    this.open_.delete(ep);
    if (ep.localPort !== 0) this.table.remove(ep);
    // ip_mc_drop_socket: every membership goes.
    for (const m of ep.memberships.splice(0)) this.membership.leave(m.ifindex, m.group);
    for (const m of ep.memberships6.splice(0)) this.ip.leaveIpv6Group(m.ifindex, m.group);
  }

  /**
   * @internal A datagram of `family` was read by the application (Linux
   * counts UdpInDatagrams / Udp6InDatagrams in udp_recvmsg / udpv6_recvmsg).
   */
  countDelivered(family: 4 | 6): void {
    if (family === 6) this.ctx.counters.Udp6InDatagrams++;
    else this.ctx.counters.UdpInDatagrams++;
  }

  // ---- input ---------------------------------------------------------------

  /**
   * Linux __udp4_lib_rcv / __udp6_lib_rcv. Never throws. Over IPv6 the
   * checksum is mandatory (RFC 8200 §8.1): a zero one is an error.
   */
  private input(info: InboundIp, payload: Uint8Array): void {
    const c = this.ctx.counters;
    const v6 = info.family === 6;
    const parsed = parseUdp(payload);
    if (!parsed.ok) {
      if (v6) c.Udp6InErrors++;
      else c.UdpInErrors++;
      this.ctx.trace.dropped('udp', parsed.reason, info.packet);
      return;
    }
    const d = parsed.value;
    // The checksum covers the UDP length; bytes past it (rare) are not part of the datagram.
    if (!udpChecksumValid(d.length === payload.length ? payload : payload.subarray(0, d.length), info.src, info.dst)) {
      if (v6) {
        c.Udp6InCsumErrors++;
        c.Udp6InErrors++;
      } else {
        c.UdpInCsumErrors++;
        c.UdpInErrors++;
      }
      this.ctx.trace.dropped('udp', 'udp-bad-checksum', info.packet);
      return;
    }
    if (info.dstKind !== 'unicast') {
      this.inputMulticast(info, d.srcPort, d.dstPort, d.payload);
      return;
    }
    const ep = this.table.lookup(info.src, d.srcPort, info.dst, d.dstPort, info.ifindex);
    if (ep === null) {
      if (v6) c.Udp6NoPorts++;
      else c.UdpNoPorts++;
      this.ctx.trace.dropped('udp', 'udp-no-port', info.packet);
      // RFC 1122 §4.1.3.1: a datagram to a port nobody listens on draws a port unreachable.
      this.ip.sendIcmpError(info, 'port-unreachable');
      return;
    }
    this.deliver(ep, info, d.srcPort, d.payload);
  }

  /** __udp4_lib_mcast_deliver: a copy to every endpoint that takes it. */
  private inputMulticast(info: InboundIp, sport: number, dport: number, data: Uint8Array): void {
    const list = this.table.on(dport);
    const matches = this.matches;
    if (list !== undefined) {
      for (const ep of list) if (takesMulticast(ep, info.src, sport, info.dst, info.ifindex)) matches.push(ep);
    }
    if (matches.length === 0) {
      if (info.family === 6) this.ctx.counters.Udp6IgnoredMulti++;
      else this.ctx.counters.UdpIgnoredMulti++;
      this.ctx.trace.dropped('udp', 'udp-no-listener-multi', info.packet);
      return;
    }
    // Delivery happens after matching, so a listener's reaction cannot disturb the walk.
    for (let i = 0; i < matches.length; i++) this.deliver(matches[i]!, info, sport, data);
    matches.length = 0;
  }

  private deliver(ep: UdpEndpoint, info: InboundIp, sport: number, data: Uint8Array): void {
    // An IPv4 datagram reaches an AF_INET6 endpoint with v4-mapped addresses (as Linux's udpv6_recvmsg reports it).
    const mapped = ep.family === 6 && typeof info.src === 'number';
    // Copied: the link may reuse its receive buffer once we return.
    const ok = ep.enqueue({
      data: data.slice(),
      srcAddress: mapped ? mapV4(info.src as number) : info.src,
      srcPort: sport,
      dstAddress: mapped ? mapV4(info.dst as number) : info.dst,
      ifindex: info.ifindex,
      ttl: info.ttl,
      tos: info.tos,
    });
    if (!ok) {
      const c = this.ctx.counters;
      if (info.family === 6) {
        c.Udp6RcvbufErrors++;
        c.Udp6InErrors++;
      } else {
        c.UdpRcvbufErrors++;
        c.UdpInErrors++;
      }
      this.ctx.trace.dropped('udp', 'udp-rcvbuf-full', info.packet);
    }
  }

  /** __udp4_lib_err / __udp6_lib_err: find the endpoint that sent the quoted datagram and maybe set its error. */
  private icmpError(report: IcmpErrorReport): void {
    const q = report.quoted;
    if (q.length < 8) return;
    const sport = readU16(q, 0);
    const dport = readU16(q, 2);
    // The quoted datagram went from us (src:sport) to the peer (dst:dport): look it up reversed.
    const ep = this.table.lookup(report.dst, dport, report.src, sport, 0);
    if (ep === null) return;
    const e = datagramIcmpError(report, ep.options.pmtuDiscovery);
    if (e === null || !e.hard || !ep.connected) return;
    ep.setError(e.errno);
  }
}

/** Equality of two IPv6 groups. */
function sameGroup(a: IPv6Address, b: IPv6Address): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}
