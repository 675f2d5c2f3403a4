import { isIPv4Multicast, readIPv4 } from '../core/address.js';
import { readU16 } from '../core/bytes.js';
import { internetChecksum } from './checksum.js';
import type { NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import { IPV4_HEADER_LEN, parseIpv4 } from './ipv4-header.js';
import type { DestinationKind, InboundIp } from './types.js';

const ALL_HOSTS = 0xe0000001; // 224.0.0.1, joined by every host (RFC 1112 §4)
const LIMITED_BROADCAST = 0xffffffff;
/** The More Fragments flag and the fragment offset in the flags/offset word (RFC 791 §3.1). */
const FLAG_MF = 0x2000;
const FRAG_OFFSET_MASK = 0x1fff;

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
  let headerLength = IPV4_HEADER_LEN;
  if (!plainHeaderValid(packet)) {
    // Options, or something wrong: the codec decides, and names the reason.
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
    headerLength = parsed.value.headerLength;
  }
  // The header is valid from here on: its fields are read in place (RFC 791 §3.1).
  const totalLength = readU16(packet, 2);
  const src = readIPv4(packet, 12);
  const dst = readIPv4(packet, 16);
  c.IpExtInOctets += totalLength;

  // RFC 1122 §3.2.1.3: a source that is broadcast or multicast is martian.
  if (isIPv4Multicast(src) || src === LIMITED_BROADCAST || iface.isIpv4Broadcast(src)) {
    c.IpInAddrErrors++;
    ctx.trace.dropped('ipv4', 'martian-source', packet);
    return;
  }

  // Destination: one of our addresses (weak host model, RFC 1122 §3.3.4.2,
  // as Linux), a broadcast of an attached subnet, or a group we joined.
  let dstKind: DestinationKind;
  if (ip.isLocalAddress(dst)) {
    dstKind = 'unicast';
  } else if (dst === LIMITED_BROADCAST || iface.isIpv4Broadcast(dst)) {
    dstKind = 'broadcast';
    c.IpExtInBcastPkts++;
  } else if (isIPv4Multicast(dst)) {
    if (dst !== ALL_HOSTS && !iface.ipv4Groups.has(dst)) {
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

  // MF set or a non-zero offset: a fragment (RFC 791 §3.2).
  if ((readU16(packet, 6) & (FLAG_MF | FRAG_OFFSET_MASK)) !== 0) {
    c.IpReasmReqds++;
    const h = parseIpv4(packet);
    if (!h.ok) return; // cannot happen: the header was validated above
    const r = ip.reassembly.acceptIpv4(packet, h.value);
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
    deliver(ip, iface, r.packet, whole.value.headerLength, whole.value.totalLength, dstKind, true);
    return;
  }
  deliver(ip, iface, packet, headerLength, totalLength, dstKind, false);
}

/**
 * True for the usual header — IHL 5 (no options), version 4, checksum
 * right, total length between 20 and the bytes received — which is exactly
 * what {@link parseIpv4} accepts when there are no options, tested without
 * building its result. Anything else goes to the codec.
 */
function plainHeaderValid(b: Uint8Array): boolean {
  if (b.length < IPV4_HEADER_LEN || b[0] !== 0x45) return false;
  const total = readU16(b, 2);
  return total >= IPV4_HEADER_LEN && total <= b.length && internetChecksum(b, 0, IPV4_HEADER_LEN) === 0;
}

/** Hands a whole (validated) datagram to its protocol, or answers "protocol unreachable". */
function deliver(
  ip: IpStack,
  iface: NetInterface,
  packet: Uint8Array,
  headerLength: number,
  totalLength: number,
  dstKind: DestinationKind,
  reassembled: boolean,
): void {
  const ctx = ip.ctx;
  const c = ctx.counters;
  const protocol = packet[9]!;
  const info: InboundIp = {
    family: 4,
    src: readIPv4(packet, 12),
    dst: readIPv4(packet, 16),
    protocol,
    ttl: packet[8]!,
    tos: packet[1]!,
    ifindex: iface.index,
    dstKind,
    // Link padding past the total length is cut off; usually there is none, and no view is needed.
    packet: totalLength === packet.length ? packet : packet.subarray(0, totalLength),
    reassembled,
  };
  const handler = ip.handlers[protocol];
  if (handler === undefined) {
    c.IpInUnknownProtos++;
    ctx.trace.dropped('ipv4', 'unknown-protocol', packet);
    // RFC 1122 §3.2.2.1: protocol unreachable (code 2) from the destination host.
    ip.sendIcmpError(info, 'protocol-unreachable');
    return;
  }
  c.IpInDelivers++;
  handler(info, packet.subarray(headerLength, totalLength));
}
