import { isIPv4Multicast } from '../core/address.js';
import type { NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import { isIpv4Fragment, parseIpv4, type Ipv4Header } from './ipv4-header.js';
import type { DestinationKind, InboundIp } from './types.js';

const ALL_HOSTS = 0xe0000001; // 224.0.0.1, joined by every host (RFC 1112 §4)
const LIMITED_BROADCAST = 0xffffffff;

/**
 * IPv4 input (RFC 1122 §3.2.1, in the order Linux's ip_rcv applies checks):
 * validate the header, decide whether the datagram is for us, and hand its
 * payload to the protocol. Every drop is counted under its reason; nothing
 * here throws.
 */
export function ipv4Input(ip: IpStack, iface: NetInterface, packet: Uint8Array): void {
  const ctx = ip.ctx;
  const c = ctx.counters;
  c.IpInReceives++;
  const parsed = parseIpv4(packet);
  if (!parsed.ok) {
    switch (parsed.reason) {
      case 'ipv4-truncated-packet':
        c.IpExtInTruncatedPkts++;
        break;
      case 'ipv4-bad-checksum':
        c.IpExtInCsumErrors++;
        c.IpInHdrErrors++;
        break;
      default:
        c.IpInHdrErrors++;
    }
    ctx.trace.dropped('ipv4', parsed.reason, packet);
    return;
  }
  const h = parsed.value;
  c.IpExtInOctets += h.totalLength;

  // RFC 1122 §3.2.1.3: a source that is broadcast or multicast is martian.
  if (isIPv4Multicast(h.src) || h.src === LIMITED_BROADCAST || iface.isIpv4Broadcast(h.src)) {
    c.IpInAddrErrors++;
    ctx.trace.dropped('ipv4', 'martian-source', packet);
    return;
  }

  // Destination: one of our addresses (weak host model, RFC 1122 §3.3.4.2,
  // as Linux), a broadcast of an attached subnet, or a group we joined.
  let dstKind: DestinationKind;
  if (ip.isLocalAddress(h.dst)) {
    dstKind = 'unicast';
  } else if (h.dst === LIMITED_BROADCAST || iface.isIpv4Broadcast(h.dst)) {
    dstKind = 'broadcast';
    c.IpExtInBcastPkts++;
  } else if (isIPv4Multicast(h.dst)) {
    if (h.dst !== ALL_HOSTS && !iface.ipv4Groups.has(h.dst)) {
      c.IpInAddrErrors++;
      ctx.trace.dropped('ipv4', 'multicast-not-joined', packet);
      return;
    }
    dstKind = 'multicast';
    c.IpExtInMcastPkts++;
  } else {
    // Not for us, and we are a host: forwarding is off (RFC 1122 §3.3.1.5).
    c.IpInAddrErrors++;
    ctx.trace.dropped('ipv4', 'not-for-us', packet);
    return;
  }

  if (isIpv4Fragment(h)) {
    c.IpReasmReqds++;
    const r = ip.reassembly.acceptIpv4(packet, h);
    if (r.status === 'pending') return;
    if (r.status === 'dropped') {
      if (r.datagramDiscarded) c.IpReasmFails++;
      ctx.trace.dropped('ipv4', r.reason, packet);
      return;
    }
    c.IpReasmOKs++;
    const whole = parseIpv4(r.packet);
    if (!whole.ok) {
      // Cannot happen for a datagram the buffer rebuilt; counted rather than trusted.
      c.IpReasmFails++;
      ctx.trace.dropped('ipv4', whole.reason, r.packet);
      return;
    }
    deliver(ip, iface, r.packet, whole.value, dstKind, true);
    return;
  }
  deliver(ip, iface, packet, h, dstKind, false);
}

/** Hands a whole datagram to its protocol, or answers "protocol unreachable". */
function deliver(
  ip: IpStack,
  iface: NetInterface,
  packet: Uint8Array,
  h: Ipv4Header,
  dstKind: DestinationKind,
  reassembled: boolean,
): void {
  const ctx = ip.ctx;
  const c = ctx.counters;
  const info: InboundIp = {
    family: 4,
    src: h.src,
    dst: h.dst,
    protocol: h.protocol,
    ttl: h.ttl,
    tos: h.tos,
    ifindex: iface.index,
    dstKind,
    packet: packet.subarray(0, h.totalLength),
    reassembled,
  };
  const handler = ip.handlers[h.protocol];
  if (handler === undefined) {
    c.IpInUnknownProtos++;
    ctx.trace.dropped('ipv4', 'unknown-protocol', packet);
    // RFC 1122 §3.2.2.1: protocol unreachable (code 2) from the destination host.
    ip.sendIcmpError(info, 'protocol-unreachable');
    return;
  }
  c.IpInDelivers++;
  handler(info, h.payload);
}
