import { isIPv4Multicast, type IPv4Address, type IPv6Address } from '../core/address.js';
import type { Counters } from '../core/counters.js';
import type { ErrnoCode } from '../core/errno.js';
import type { IpStack } from '../ip/ip-layer.js';
import type { IpAddress, IpSendOptions } from '../ip/types.js';
import { isWildcard } from './addresses.js';
import type { DatagramOptionName, DatagramOptions, DatagramOptionValues } from './socket-options.js';

/**
 * Output routing shared by the datagram endpoints (UDP, ping, raw ICMP):
 * the rules of Linux's udp_sendmsg / ping_v4_sendmsg / raw_sendmsg for the
 * outgoing interface and source address, and the broadcast test.
 */

/** Where a datagram goes out. */
export interface DatagramRoute {
  readonly src: IPv4Address;
  readonly ifindex: number;
  /** MTU toward the destination (65535 to ourselves). */
  readonly mtu: number;
  /** The interface to force on ip.send (SO_BINDTODEVICE / IP_MULTICAST_IF), 0 to let the IP layer route. */
  readonly forceIfindex: number;
}

const LIMITED_BROADCAST = 0xffffffff;
/** IPv4 header without options. */
const IPV4_HEADER = 20;
/** Largest IPv4 datagram (the total length field). */
const IPV4_MAX = 0xffff;

/**
 * Chooses interface and source for `dst`. The bound device wins; for
 * multicast, IP_MULTICAST_IF (index, else the interface owning its
 * address) applies when no device is bound — as Linux does. `source` is the
 * endpoint's bound unicast source, the wildcard if none. ENETUNREACH when no
 * route, EADDRNOTAVAIL when the interface has no address.
 */
export function routeDatagram(ip: IpStack, o: DatagramOptions, source: IpAddress, dst: IPv4Address): DatagramRoute | ErrnoCode {
  let srcHint = typeof source === 'number' ? source : 0;
  let oif = o.bindToDevice;
  const multicast = isIPv4Multicast(dst);
  if (multicast) {
    if (oif === 0) oif = o.mcIfindex;
    if (srcHint === 0) srcHint = o.mcAddress;
  }
  if (oif === 0 && srcHint !== 0 && (multicast || dst === LIMITED_BROADCAST)) {
    // ip_route_output_key: multicast and limited broadcast leave by the interface owning the source.
    oif = ip.interfaceOfIpv4(srcHint)?.index ?? 0;
  }
  if (oif !== 0) {
    const iface = ip.interfaceByIndex(oif);
    if (iface === undefined || !iface.up) return 'ENETUNREACH';
    const src = srcHint !== 0 ? srcHint : iface.ipv4SourceFor(dst);
    if (src === null) return 'EADDRNOTAVAIL';
    // The path MTU (RFC 1191) caps the interface's, as on a routed lookup.
    const mtu = ip.isLocalAddress(dst) ? 65535 : Math.min(iface.mtu, ip.pathMtu(dst) || iface.mtu);
    return { src, ifindex: oif, mtu, forceIfindex: oif };
  }
  const r = ip.route(dst, srcHint !== 0 ? srcHint : undefined);
  if (r === null) return 'ENETUNREACH';
  return { src: r.src as IPv4Address, ifindex: r.ifindex, mtu: r.mtu, forceIfindex: 0 };
}

/** Where an IPv6 datagram goes out. */
export interface DatagramRoute6 {
  readonly src: IPv6Address;
  readonly ifindex: number;
  /** Path MTU toward the destination (RFC 8201; 65535 to ourselves). */
  readonly mtu: number;
  /** The interface forced on ip.send (SO_BINDTODEVICE / IPV6_MULTICAST_IF), 0 to let the IP layer route. */
  readonly forceIfindex: number;
}

/**
 * Chooses interface and source for an IPv6 destination (Linux
 * ip6_datagram_dst_update / udpv6_sendmsg): the bound device, else
 * IPV6_MULTICAST_IF for a group, else the route; the source is the bound
 * one or the RFC 6724 choice. ENETUNREACH, EADDRNOTAVAIL as the IPv6 route lookup says.
 */
export function routeDatagram6(ip: IpStack, o: DatagramOptions, source: IPv6Address, dst: IPv6Address): DatagramRoute6 | ErrnoCode {
  let oif = o.bindToDevice;
  if (oif === 0 && dst[0] === 0xff) oif = o.mcIfindex6;
  const r = ip.route6(dst, isWildcard(source) ? undefined : source, oif);
  if (typeof r === 'string') return r;
  return { src: r.src as IPv6Address, ifindex: r.ifindex, mtu: r.mtu, forceIfindex: oif };
}

/** An IPv4 datagram cleared to leave (see {@link prepareDatagram4}). */
export interface PreparedDatagram4 {
  readonly route: DatagramRoute;
  /** Multicast or broadcast: a copy loops back into our own input (loopBackCopy). */
  readonly loopCopy: boolean;
  /** What ip.send takes for it. */
  readonly send: IpSendOptions;
}

/**
 * The checks udp_sendmsg, ping_v4_sendmsg and raw_sendmsg share before an
 * IPv4 datagram of `ipPayload` bytes (everything after the IPv4 header) is
 * built: the route (IpOutNoRoutes on ENETUNREACH), the broadcast permission
 * (EACCES), the size — the IPv4 length field, and the route MTU under
 * IP_PMTUDISC_DO (ip_append_data: EMSGSIZE) — and a pending error, which
 * fails this send once (sock_alloc_send_pskb checks sk_err). DF follows
 * IP_MTU_DISCOVER: set on whatever fits the path under 'want' (the
 * default), always under 'do'/'probe', never under 'dont'.
 */
export function prepareDatagram4(
  ip: IpStack,
  counters: Counters,
  ep: { readonly options: DatagramOptions; takeError(): ErrnoCode | null },
  source: IpAddress,
  dst: IPv4Address,
  ipPayload: number,
  protocol: number,
): PreparedDatagram4 | ErrnoCode {
  const o = ep.options;
  const route = routeDatagram(ip, o, source, dst);
  if (typeof route === 'string') {
    if (route === 'ENETUNREACH') counters.IpOutNoRoutes++;
    return route;
  }
  const multicast = isIPv4Multicast(dst);
  const broadcast = !multicast && isBroadcastDestination(ip, dst);
  if (broadcast && !o.broadcast) return 'EACCES';
  const total = IPV4_HEADER + ipPayload;
  if (total > IPV4_MAX || (o.pmtuDiscovery === 'do' && total > route.mtu)) return 'EMSGSIZE';
  const dontFragment = o.pmtuDiscovery === 'dont' ? false : o.pmtuDiscovery === 'want' ? total <= route.mtu : true;
  const pending = ep.takeError();
  if (pending !== null) return pending;
  const send: IpSendOptions = {
    dst, src: route.src, protocol, ttl: multicast ? o.mcTtl : o.unicastTtl, tos: o.tos, dontFragment,
    ...(route.forceIfindex !== 0 ? { ifindex: route.forceIfindex } : {}),
  };
  return { route, loopCopy: multicast || broadcast, send };
}

/** True when `dst` is the limited broadcast or the directed broadcast of one of our subnets (RTCF_BROADCAST). */
export function isBroadcastDestination(ip: IpStack, dst: IPv4Address): boolean {
  if (dst === LIMITED_BROADCAST) return true;
  for (const iface of ip.interfaces) if (iface.isIpv4Broadcast(dst)) return true;
  return false;
}

/** What bind() may take: 0, one of our addresses, a group, or a broadcast address (Linux inet_bind). */
export function bindableIpv4(ip: IpStack, a: IPv4Address, allowGroupAndBroadcast: boolean): boolean {
  if (a === 0 || ip.isLocalAddress(a)) return true;
  return allowGroupAndBroadcast && (isIPv4Multicast(a) || isBroadcastDestination(ip, a));
}

/**
 * Loops a copy of a multicast or broadcast datagram we sent back into our
 * own input, as Linux's ip_mc_output does: multicast when IP_MULTICAST_LOOP
 * is on and the group is joined on the interface, broadcast always. `datagram`
 * is the whole IPv4 datagram as sent.
 *
 * This belongs in IPv4 output; it lives here until the IP layer takes a
 * "loop" flag, and must move there then (or datagrams would loop twice).
 */
export function loopBackCopy(ip: IpStack, ifindex: number, dst: IPv4Address, mcLoop: boolean, datagram: Uint8Array): void {
  const iface = ip.interfaceByIndex(ifindex);
  if (iface === undefined) return;
  if (isIPv4Multicast(dst)) {
    if (!mcLoop || !iface.ipv4Groups.has(dst)) return;
  } else if (!isBroadcastDestination(ip, dst)) {
    return;
  }
  if (datagram.length < 20 || datagram[0]! >>> 4 !== 4) return;
  ip.loopback(iface, datagram.slice());
}

/**
 * setsockopt() for the options every datagram endpoint shares, checking the
 * ones that name an interface against the stack: SO_BINDTODEVICE (ENODEV
 * for an unknown index) and IP_MULTICAST_IF (EADDRNOTAVAIL for an unknown
 * interface or address; EINVAL when it contradicts the bound device), as
 * Linux's sock_setsockopt and do_ip_setsockopt.
 */
export function setDatagramOption<K extends DatagramOptionName>(
  ip: IpStack,
  o: DatagramOptions,
  name: K,
  value: DatagramOptionValues[K],
): 'ok' | ErrnoCode {
  if (name === 'SO_BINDTODEVICE') {
    const ifindex = value as number;
    if (typeof ifindex === 'number' && ifindex !== 0 && ip.interfaceByIndex(ifindex) === undefined) return 'ENODEV';
  } else if (name === 'IP_MULTICAST_IF') {
    const v = value as DatagramOptionValues['IP_MULTICAST_IF'];
    let ifindex = v.ifindex;
    if (ifindex === 0 && v.address !== 0) ifindex = ip.interfaceOfIpv4(v.address)?.index ?? -1;
    if (ifindex < 0 || (ifindex !== 0 && ip.interfaceByIndex(ifindex) === undefined)) return 'EADDRNOTAVAIL';
    if (o.bindToDevice !== 0 && ifindex !== 0 && ifindex !== o.bindToDevice) return 'EINVAL';
    return o.set('IP_MULTICAST_IF', { ifindex, address: v.address });
  }
  return o.set(name, value);
}
