import { writeIPv4 } from '../core/address.js';
import { writeU16 } from '../core/bytes.js';
import { PacketBuffer } from '../core/packet-buffer.js';
import { finishChecksum } from './checksum.js';
import { fragmentIpv4 } from './fragmenter.js';
import type { NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import { IPV4_HEADER_LEN, type Ipv4Spec } from './ipv4-header.js';
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
  let iface: NetInterface;
  let src: number;
  let nextHop = dst;
  let local: boolean;
  let broadcast: boolean;
  if (opts.ifindex !== undefined && opts.ifindex !== 0) {
    const forced = ip.interfaceByIndex(opts.ifindex);
    if (!forced || !forced.up) {
      c.IpOutNoRoutes++;
      return 'ENETUNREACH';
    }
    iface = forced;
    const s = opts.src ?? iface.ipv4SourceFor(dst);
    if (typeof s !== 'number') {
      c.IpOutNoRoutes++;
      return 'EADDRNOTAVAIL';
    }
    src = s;
    local = ip.isLocalAddress(dst);
    broadcast = dst === 0xffffffff || iface.isIpv4Broadcast(dst);
  } else {
    // The route decided once per destination (IpStack.routeEntry4), not per packet.
    const r = opts.src !== undefined && typeof opts.src !== 'number' ? null : ip.routeEntry4(dst, opts.src);
    if (r === null) {
      c.IpOutNoRoutes++;
      return 'ENETUNREACH';
    }
    iface = r.iface;
    src = r.src;
    nextHop = r.nextHop;
    local = r.local;
    broadcast = r.broadcast;
  }

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
  const ttl = opts.ttl ?? 64;
  const tos = opts.tos ?? 0;

  if (total > mtu) {
    // RFC 791 §3.2: split into fragments that each fit the interface MTU.
    const spec: Ipv4Spec = { src, dst, protocol, ttl, tos, id, df };
    const fragments = fragmentIpv4(spec, pkt.view(), mtu);
    c.IpFragOKs++;
    c.IpFragCreates += fragments.length;
    for (const f of fragments) {
      c.IpExtOutOctets += f.length;
      ip.transmitIpv4(iface, PacketBuffer.of(f), nextHop, broadcast);
    }
    return 'ok';
  }

  const o = pkt.prepend(IPV4_HEADER_LEN);
  writeHeader(pkt.buf, o, src, dst, protocol, ttl & 0xff, tos & 0xff, id, df, total);
  const datagram = pkt.view();
  c.IpExtOutOctets += datagram.length;
  if (local) ip.loopback(iface, datagram);
  else if (iface.medium === null) ip.transmit(iface, datagram);
  else ip.transmitIpv4(iface, pkt, nextHop, broadcast);
  return 'ok';
}

/**
 * The 20-byte header of a datagram of ours (RFC 791 §3.1: no options, no
 * fragment offset) at `b[o..o+20)`. The checksum is summed from the field
 * values (RFC 1071) rather than read back over the bytes: this runs for
 * every datagram sent.
 */
function writeHeader(
  b: Uint8Array, o: number, src: number, dst: number, protocol: number,
  ttl: number, tos: number, id: number, df: boolean, total: number,
): void {
  const w0 = 0x4500 | tos;
  const w3 = df ? 0x4000 : 0;
  const w4 = (ttl << 8) | protocol;
  b[o] = 0x45;
  b[o + 1] = tos;
  writeU16(b, o + 2, total);
  writeU16(b, o + 4, id);
  writeU16(b, o + 6, w3);
  writeU16(b, o + 8, w4);
  writeIPv4(b, o + 12, src);
  writeIPv4(b, o + 16, dst);
  const sum = w0 + total + id + w3 + w4 + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff);
  writeU16(b, o + 10, finishChecksum(sum));
}
