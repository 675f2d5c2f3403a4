import type { IPv4Address, IPv6Address } from '../core/address.js';
import type { StackContext } from '../core/context.js';
import type { ErrnoCode } from '../core/errno.js';
import { PacketBuffer } from '../core/packet-buffer.js';
import type { IpStack } from '../ip/ip-layer.js';
import type { IpAddress } from '../ip/types.js';
import { ipv4ViewOf, isV4MappedAddress, unmapV4 } from './addresses.js';
import { loopBackCopy, prepareDatagram4, routeDatagram6 } from './datagram-route.js';
import { IPPROTO_UDP, UDP_HEADER_LEN, writeUdpHeader } from './header.js';
import type { UdpDestination, UdpEndpoint } from './udp-endpoint.js';

/** IPv6 fixed header (UDP sends no extension headers). */
const IPV6_HEADER = 40;
/** Largest IPv4 datagram: 65535 bytes, so at most 65507 of UDP payload. */
const IP_MAX = 0xffff;

/**
 * UDP output (RFC 768; Linux udp_sendmsg): pick the destination, route,
 * apply the broadcast permission and size rules, report a pending error,
 * build the datagram with its checksum and hand it to IP. The endpoint must
 * already be bound (the caller autobinds, as inet_send_prepare does).
 */
export function udpOutput(ctx: StackContext, ip: IpStack, ep: UdpEndpoint, payload: Uint8Array, to: UdpDestination | undefined): 'ok' | ErrnoCode {
  if (payload.length > IP_MAX) return 'EMSGSIZE';
  let dst: IpAddress;
  let dport: number;
  if (to !== undefined) {
    if (ep.family === 4 && typeof to.address !== 'number') return 'EAFNOSUPPORT';
    if (!Number.isInteger(to.port) || to.port <= 0 || to.port > 0xffff) return 'EINVAL';
    dst = to.address;
    dport = to.port;
  } else {
    if (!ep.connected) return 'EDESTADDRREQ';
    dst = ep.remoteAddress;
    dport = ep.remotePort;
  }
  if (ep.family === 4) return udpOutput4(ctx, ip, ep, payload, dst as IPv4Address, dport, ep.sourceAddress as IPv4Address);
  if (typeof dst === 'number' || isV4MappedAddress(dst)) {
    // udpv6_sendmsg: an IPv4 (or v4-mapped) destination goes out over IPv4
    // through udp_sendmsg, unless IPV6_V6ONLY.
    if (ep.options.v6Only) return 'ENETUNREACH';
    const src4 = ipv4ViewOf(ep.sourceAddress, false);
    if (src4 === null) return 'ENETUNREACH';
    return udpOutput4(ctx, ip, ep, payload, typeof dst === 'number' ? dst : unmapV4(dst), dport, src4);
  }
  if (dst.length !== 16) return 'EINVAL';
  if (isV4MappedAddress(ep.sourceAddress)) return 'ENETUNREACH';
  return udpOutput6(ctx, ip, ep, payload, dst, dport);
}

/** The IPv4 half of {@link udpOutput} (udp_sendmsg), from source `source` (0: the route's). */
function udpOutput4(
  ctx: StackContext,
  ip: IpStack,
  ep: UdpEndpoint,
  payload: Uint8Array,
  dst: IPv4Address,
  dport: number,
  source: IPv4Address,
): 'ok' | ErrnoCode {
  const c = ctx.counters;
  const d = prepareDatagram4(ip, c, ep, source, dst, UDP_HEADER_LEN + payload.length, IPPROTO_UDP);
  if (typeof d === 'string') return d;
  const pkt = PacketBuffer.alloc(UDP_HEADER_LEN + payload.length);
  pkt.buf.set(payload, pkt.start + UDP_HEADER_LEN);
  writeUdpHeader(pkt.buf, pkt.start, { srcPort: ep.localPort, dstPort: dport }, payload.length, d.route.src, dst);
  const result = ip.send(d.send, pkt);
  if (result !== 'ok') {
    if (result === 'ENOBUFS') c.UdpSndbufErrors++;
    return result;
  }
  c.UdpOutDatagrams++;
  if (d.loopCopy) loopBackCopy(ip, d.route.ifindex, dst, ep.options.mcLoop, pkt.view());
  return 'ok';
}

/**
 * The IPv6 half of {@link udpOutput} (udpv6_sendmsg): the checksum is
 * always computed (RFC 8200 §8.1); a datagram larger than the path MTU is
 * fragmented at the source (RFC 8200 §5) unless IP_MTU_DISCOVER is 'do' or
 * 'probe' (which stand in for IPV6_DONTFRAG here), when it fails with
 * EMSGSIZE as Linux's ip6_append_data does.
 */
function udpOutput6(ctx: StackContext, ip: IpStack, ep: UdpEndpoint, payload: Uint8Array, dst: IPv6Address, dport: number): 'ok' | ErrnoCode {
  const c = ctx.counters;
  const o = ep.options;
  // The UDP length field bounds the datagram (no jumbograms, RFC 2675).
  if (UDP_HEADER_LEN + payload.length > IP_MAX) return 'EMSGSIZE';
  const route = routeDatagram6(ip, o, ep.sourceAddress as IPv6Address, dst);
  if (typeof route === 'string') {
    if (route === 'ENETUNREACH') c.Ip6OutNoRoutes++;
    return route;
  }
  const multicast = dst[0] === 0xff;
  const total = IPV6_HEADER + UDP_HEADER_LEN + payload.length;
  const dontFrag = o.pmtuDiscovery === 'do' || o.pmtuDiscovery === 'probe';
  if (dontFrag && total > route.mtu) return 'EMSGSIZE';

  const pending = ep.takeError();
  if (pending !== null) return pending;

  const pkt = PacketBuffer.alloc(UDP_HEADER_LEN + payload.length);
  const udpStart = pkt.start;
  pkt.buf.set(payload, udpStart + UDP_HEADER_LEN);
  writeUdpHeader(pkt.buf, udpStart, { srcPort: ep.localPort, dstPort: dport }, payload.length, route.src, dst);
  const hops = multicast ? o.mcHops6 : o.hops6;
  const result = ip.send(
    {
      dst,
      src: route.src,
      protocol: IPPROTO_UDP,
      ...(hops >= 0 ? { ttl: hops } : {}),
      tos: o.tclass,
      dontFragment: dontFrag,
      ...(route.forceIfindex !== 0 ? { ifindex: route.forceIfindex } : {}),
    },
    pkt,
  );
  if (result !== 'ok') {
    if (result === 'ENOBUFS') c.Udp6SndbufErrors++;
    return result;
  }
  c.Udp6OutDatagrams++;
  if (multicast && o.mcLoop6) loopBackCopy6(ip, route.ifindex, dst, pkt.buf, udpStart, UDP_HEADER_LEN + payload.length);
  return 'ok';
}

/**
 * Loops a copy of an IPv6 multicast datagram we sent back into our input
 * when the interface has joined the group (Linux ip6_finish_output2 with
 * IPV6_MULTICAST_LOOP). The IPv6 header sits right before the UDP header in
 * the buffer once IP wrote it; a datagram that went out in fragments is not
 * looped (a limitation: it has no whole copy here).
 */
function loopBackCopy6(ip: IpStack, ifindex: number, group: IPv6Address, buf: Uint8Array, udpStart: number, udpLen: number): void {
  const iface = ip.interfaceByIndex(ifindex);
  if (iface === undefined || iface.v6 === null || !iface.v6.mld.has(group)) return;
  const start = udpStart - IPV6_HEADER;
  if (start < 0 || buf[start]! >>> 4 !== 6) return;
  ip.loopback(iface, buf.slice(start, udpStart + udpLen));
}
