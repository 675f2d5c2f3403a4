import { PacketBuffer } from '../core/packet-buffer.js';
import { fragmentIpv4 } from './fragmenter.js';
import type { IpStack } from './ip-layer.js';
import { IPV4_HEADER_LEN, writeIpv4Header, type Ipv4Spec } from './ipv4-header.js';
import type { IpSendOptions, IpSendResult } from './types.js';

/**
 * IPv4 output: route, choose the source and identification, prepend the
 * header into the buffer's headroom and hand the datagram to the link (or
 * loop it back when it is addressed to us).
 */
export function ipv4Output(ip: IpStack, opts: IpSendOptions, pkt: PacketBuffer): IpSendResult {
  const c = ip.ctx.counters;
  const dst = opts.dst as number;
  c.IpOutRequests++;
  let iface;
  let src: number;
  let nextHop = dst;
  if (opts.ifindex !== undefined && opts.ifindex !== 0) {
    iface = ip.interfaceByIndex(opts.ifindex);
    if (!iface || !iface.up) {
      c.IpOutNoRoutes++;
      return 'ENETUNREACH';
    }
    const s = opts.src ?? iface.ipv4SourceFor(dst);
    if (typeof s !== 'number') {
      c.IpOutNoRoutes++;
      return 'EADDRNOTAVAIL';
    }
    src = s;
  } else {
    const r = ip.route(dst, opts.src);
    if (r === null) {
      c.IpOutNoRoutes++;
      return 'ENETUNREACH';
    }
    iface = ip.interfaceByIndex(r.ifindex)!;
    src = r.src as number;
    nextHop = r.nextHop as number;
  }

  const local = ip.isLocalAddress(dst);
  // The path MTU learned from "fragmentation needed" (RFC 1191) caps the interface MTU.
  const mtu = local ? 65535 : Math.min(iface.mtu, ip.pmtu.get(dst, ip.ctx.clock.now()));
  const total = IPV4_HEADER_LEN + pkt.length;
  const df = opts.dontFragment ?? false;
  if (total > 0xffff) {
    c.IpOutDiscards++;
    return 'EMSGSIZE';
  }
  if (total > mtu && df) {
    // RFC 1191: with DF the sender learns the MTU from the error instead.
    c.IpFragFails++;
    return 'EMSGSIZE';
  }

  const protocol = opts.protocol & 0xff;
  const bucket = (dst ^ (dst >>> 8) ^ (dst >>> 16) ^ (dst >>> 24) ^ protocol) & 0xff;
  const id = ip.ipv4Ids[bucket]!;
  ip.ipv4Ids[bucket] = (id + 1) & 0xffff;
  const spec: Ipv4Spec = { src, dst, protocol, ttl: opts.ttl ?? 64, tos: opts.tos ?? 0, id, df };
  const broadcast = dst === 0xffffffff || iface.isIpv4Broadcast(dst);

  if (total > mtu) {
    // RFC 791 §3.2: split into fragments that each fit the interface MTU.
    const fragments = fragmentIpv4(spec, pkt.view(), mtu);
    c.IpFragOKs++;
    c.IpFragCreates += fragments.length;
    for (const f of fragments) {
      c.IpExtOutOctets += f.length;
      ip.transmitIpv4(iface, PacketBuffer.of(f), nextHop, broadcast);
    }
    return 'ok';
  }

  writeIpv4Header(pkt, spec);
  const datagram = pkt.view();
  c.IpExtOutOctets += datagram.length;
  if (local) ip.loopback(iface, datagram);
  else ip.transmitIpv4(iface, pkt, nextHop, broadcast);
  return 'ok';
}
