import { isIPv4Multicast } from '../core/address.js';
import type { StackContext } from '../core/context.js';
import type { ErrnoCode } from '../core/errno.js';
import { PacketBuffer } from '../core/packet-buffer.js';
import type { IpStack } from '../ip/ip-layer.js';
import { familyOf } from './addresses.js';
import { isBroadcastDestination, loopBackCopy, routeDatagram } from './datagram-route.js';
import { IPPROTO_UDP, UDP_HEADER_LEN, writeUdpHeader } from './header.js';
import type { UdpDestination, UdpEndpoint } from './udp-endpoint.js';

/** IPv4 header without options. */
const IPV4_HEADER = 20;
/** Largest IPv4 datagram: 65535 bytes, so at most 65507 of UDP payload. */
const IP_MAX = 0xffff;

/**
 * UDP output (RFC 768; Linux udp_sendmsg): pick the destination, route,
 * apply the broadcast permission and size rules, report a pending error,
 * build the datagram with its checksum and hand it to IP. The endpoint must
 * already be bound (the caller autobinds, as inet_send_prepare does).
 */
export function udpOutput(ctx: StackContext, ip: IpStack, ep: UdpEndpoint, payload: Uint8Array, to: UdpDestination | undefined): 'ok' | ErrnoCode {
  const c = ctx.counters;
  if (payload.length > IP_MAX) return 'EMSGSIZE';
  let dst;
  let dport: number;
  if (to !== undefined) {
    if (familyOf(to.address) !== ep.family) return 'EAFNOSUPPORT';
    if (!Number.isInteger(to.port) || to.port <= 0 || to.port > 0xffff) return 'EINVAL';
    dst = to.address;
    dport = to.port;
  } else {
    if (!ep.connected) return 'EDESTADDRREQ';
    dst = ep.remoteAddress;
    dport = ep.remotePort;
  }
  // IPv6 output arrives with the IPv6 layer.
  if (typeof dst !== 'number') return 'EAFNOSUPPORT';

  const o = ep.options;
  const route = routeDatagram(ip, o, ep.sourceAddress, dst);
  if (typeof route === 'string') {
    if (route === 'ENETUNREACH') c.IpOutNoRoutes++;
    return route;
  }
  const multicast = isIPv4Multicast(dst);
  const broadcast = !multicast && isBroadcastDestination(ip, dst);
  if (broadcast && !o.broadcast) return 'EACCES';

  // ip_append_data: a datagram must fit the IPv4 length field, and the
  // route MTU too unless IP layer fragmentation is allowed (PMTUDISC_DO).
  const total = IPV4_HEADER + UDP_HEADER_LEN + payload.length;
  if (total > IP_MAX) return 'EMSGSIZE';
  if (o.pmtuDiscovery === 'do' && total > route.mtu) return 'EMSGSIZE';
  // Linux sets DF on whatever fits the path under PMTUDISC_WANT (the
  // default), on everything under DO/PROBE, never under DONT.
  const df = o.pmtuDiscovery === 'dont' ? false : o.pmtuDiscovery === 'want' ? total <= route.mtu : true;

  // A pending ICMP-reported error fails this send once (sock_alloc_send_pskb checks sk_err).
  const pending = ep.takeError();
  if (pending !== null) return pending;

  const pkt = PacketBuffer.alloc(UDP_HEADER_LEN + payload.length);
  pkt.buf.set(payload, pkt.start + UDP_HEADER_LEN);
  writeUdpHeader(pkt.buf, pkt.start, { srcPort: ep.localPort, dstPort: dport }, payload.length, route.src, dst);
  const result = ip.send(
    {
      dst,
      src: route.src,
      protocol: IPPROTO_UDP,
      ttl: multicast ? o.mcTtl : o.unicastTtl,
      tos: o.tos,
      dontFragment: df,
      ...(route.forceIfindex !== 0 ? { ifindex: route.forceIfindex } : {}),
    },
    pkt,
  );
  if (result !== 'ok') {
    if (result === 'ENOBUFS') c.UdpSndbufErrors++;
    return result;
  }
  c.UdpOutDatagrams++;
  if (multicast || broadcast) loopBackCopy(ip, route.ifindex, dst, o.mcLoop, pkt.view());
  return 'ok';
}
