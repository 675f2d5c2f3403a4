import type { IPv6Address } from '../core/address.js';
import type { ErrnoCode } from '../core/errno.js';
import { PacketBuffer } from '../core/packet-buffer.js';
import { fragmentIpv6 } from './fragmenter.js';
import type { NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import { isMulticast6, key6, multicastMac6 } from './ipv6-address.js';
import { extensionsLength, IPV6_HEADER_LEN, writeIpv6, type Ipv6ExtensionSpec, type Ipv6Spec } from './ipv6-header.js';
import type { IpSendOptions, IpSendResult } from './types.js';

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/**
 * IPv6 output (RFC 8200): route, choose the source (RFC 6724), build the
 * header with hop limit, traffic class and flow label (RFC 6437), fragment
 * at the source when the datagram exceeds the path MTU (RFC 8200 §4.5,
 * §5), and hand the packet to the link: straight onto an IP link, or
 * through neighbour discovery on Ethernet (RFC 4861 §7.2.2).
 */
export function ipv6Output(ip: IpStack, opts: IpSendOptions, pkt: PacketBuffer): IpSendResult {
  const c = ip.ctx.counters;
  c.Ip6OutRequests++;
  const dst = opts.dst;
  if (typeof dst === 'number' || dst.length !== 16 || typeof opts.src === 'number') {
    c.Ip6OutDiscards++;
    return 'EAFNOSUPPORT';
  }
  const r = ip.route6(dst, opts.src, opts.ifindex ?? 0);
  if (typeof r === 'string') {
    if (r === 'ENETUNREACH') c.Ip6OutNoRoutes++;
    else c.Ip6OutDiscards++;
    return r;
  }
  const iface = ip.interfaceByIndex(r.ifindex)!;
  const multicast = isMulticast6(dst);
  const spec: Ipv6Spec = {
    src: r.src as IPv6Address,
    dst,
    protocol: opts.protocol & 0xff,
    hopLimit: opts.ttl ?? (multicast ? 1 : (iface.v6?.hopLimit ?? 64)),
    trafficClass: opts.tos ?? 0,
    flowLabel: opts.flowLabel ?? ip.flowLabelFor(r.src as IPv6Address, dst, opts.protocol & 0xff, pkt.view()),
  };
  return ipv6Emit(ip, iface, spec, pkt, r.nextHop as IPv6Address, r.mtu, opts.dontFragment === true, null);
}

/**
 * Sends a packet whose route is decided: prepends the header (or fragments
 * to `mtu`), counts, and transmits toward `nextHop`. `mac` forces the
 * link-layer destination (unicast NUD probes, RFC 4861 §7.3.3), bypassing
 * the neighbour cache. Extension headers given in `spec` go in front of the
 * payload (the Hop-by-Hop Router Alert of MLD, RFC 3810 §5).
 */
export function ipv6Emit(
  ip: IpStack,
  iface: NetInterface,
  spec: Ipv6Spec,
  pkt: PacketBuffer,
  nextHop: IPv6Address,
  mtu: number,
  dontFragment: boolean,
  mac: Uint8Array | null,
): IpSendResult {
  const c = ip.ctx.counters;
  const extLen = extensionsLength(spec.extensions);
  const payloadLength = extLen + pkt.length;
  if (payloadLength > 0xffff) {
    // No jumbograms (RFC 2675) on our links.
    c.Ip6OutDiscards++;
    return 'EMSGSIZE';
  }
  const multicast = isMulticast6(spec.dst);
  if (multicast) c.Ip6OutMcastPkts++;
  const total = IPV6_HEADER_LEN + payloadLength;
  if (total > mtu) {
    // RFC 8200 §5: only the source fragments; a socket with IPV6_DONTFRAG (and TCP) learns the size instead.
    if (dontFragment) {
      c.Ip6FragFails++;
      return 'EMSGSIZE';
    }
    const fragments = fragmentIpv6(spec, pkt.view(), mtu, ip.ctx.random.u32());
    c.Ip6FragOKs++;
    c.Ip6FragCreates += fragments.length;
    for (const f of fragments) {
      c.Ip6OutOctets += f.length;
      const fb = PacketBuffer.alloc(f.length, 32);
      fb.buf.set(f, fb.start);
      transmitIpv6(ip, iface, fb, nextHop, mac);
    }
    return 'ok';
  }
  writeIpv6(pkt, spec);
  const datagram = pkt.view();
  c.Ip6OutOctets += datagram.length;
  if (!multicast && ip.isLocalAddress(spec.dst)) ip.loopback(iface, datagram);
  else transmitIpv6(ip, iface, pkt, nextHop, mac);
  return 'ok';
}

/** Puts a finished IPv6 packet on the link of `iface`. */
export function transmitIpv6(ip: IpStack, iface: NetInterface, pkt: PacketBuffer, nextHop: IPv6Address, mac: Uint8Array | null): void {
  const medium = iface.medium;
  if (medium === null) {
    ip.transmit(iface, pkt.view());
    return;
  }
  if (mac !== null) {
    medium.outputIpv6(pkt, mac);
    return;
  }
  if (isMulticast6(nextHop)) {
    // RFC 2464 §7: multicast maps straight to 33:33 plus the low 32 bits.
    medium.outputIpv6(pkt, multicastMac6(nextHop));
    return;
  }
  const cache = iface.v6?.neighbors;
  if (!cache) {
    ip.ctx.counters.Ip6OutDiscards++;
    ip.ctx.trace.dropped('ipv6', 'no-neighbor-discovery', pkt.view());
    return;
  }
  if (!cache.output(key6(nextHop), pkt)) {
    // The oldest queued packet made room for this one (Linux's unres_qlen policy).
    ip.ctx.counters.Ip6OutDiscards++;
    ip.ctx.trace.dropped('ndp', 'resolution-queue-full', pkt.view());
  }
}

/** A finished header spec for a control message of our own (ND, MLD): flow label 0, as Linux's ndisc and mcast code send. */
export function controlSpec(
  src: IPv6Address,
  dst: IPv6Address,
  protocol: number,
  hopLimit: number,
  extensions?: readonly Ipv6ExtensionSpec[],
): Ipv6Spec {
  const spec: Ipv6Spec = { src, dst, protocol, hopLimit, trafficClass: 0, flowLabel: 0 };
  if (extensions !== undefined) spec.extensions = extensions;
  return spec;
}

/**
 * The automatic flow label (RFC 6437 §3, Linux's auto_flowlabels): a keyed
 * hash of the addresses, protocol and — for TCP and UDP — the ports, so
 * every packet of a flow carries the same pseudo-random non-zero label.
 */
export function autoFlowLabel(seed: number, src: IPv6Address, dst: IPv6Address, protocol: number, transport: Uint8Array): number {
  let h = seed;
  for (let i = 0; i < 16; i += 4) {
    h = mix(h, ((src[i]! << 24) | (src[i + 1]! << 16) | (src[i + 2]! << 8) | src[i + 3]!) >>> 0);
    h = mix(h, ((dst[i]! << 24) | (dst[i + 1]! << 16) | (dst[i + 2]! << 8) | dst[i + 3]!) >>> 0);
  }
  h = mix(h, protocol);
  if ((protocol === IPPROTO_TCP || protocol === IPPROTO_UDP) && transport.length >= 4) {
    h = mix(h, ((transport[0]! << 24) | (transport[1]! << 16) | (transport[2]! << 8) | transport[3]!) >>> 0);
  }
  const label = h & 0xfffff;
  return label === 0 ? 1 : label;
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Why a route lookup failed, as the errno a socket would see. */
export type RouteError = Extract<ErrnoCode, 'ENETUNREACH' | 'EADDRNOTAVAIL' | 'EINVAL'>;
