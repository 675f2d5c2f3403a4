import type { IPv6Address } from '../core/address.js';
import {
  ICMPV6_PARAM_PROBLEM,
  ICMPV6_PARAM_NEXT_HEADER,
  ICMPV6_PARAM_OPTION,
  IPPROTO_ICMPV6,
} from '../icmp/icmpv6-header.js';
import { LoopbackLink } from '../link/loopback.js';
import { isUsableIpv6, type NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import { equal6, isLoopback6, isMulticast6, isV4Mapped6, multicastScope6 } from './ipv6-address.js';
import {
  checkRoutingHeader,
  IPV6_HEADER_LEN,
  IPV6_NO_NEXT_HEADER,
  IPV6_OPT_ACTION_DISCARD,
  IPV6_OPT_ACTION_DISCARD_ICMP,
  IPV6_OPT_ACTION_SKIP,
  parseIpv6,
  walkIpv6Extensions,
  type Ipv6Extensions,
  type Ipv6Packet,
} from './ipv6-header.js';
import type { DestinationKind, InboundIp } from './types.js';

const ICMPV6_NS = 135;
const ICMPV6_NA = 136;

/**
 * IPv6 input (RFC 8200), checks in the order Linux's ip6_rcv_core and
 * ip6_input_finish apply them: the fixed header, martian addresses, the
 * destination (ours, a group we joined, else dropped: a host does not
 * forward), the extension-header chain with its ICMPv6 Parameter Problems
 * (RFC 8200 §4), reassembly (§4.5, RFC 5722, RFC 6946), then the upper
 * layer. Every drop is counted under its reason; nothing here throws.
 */
export function ipv6Input(ip: IpStack, iface: NetInterface, packet: Uint8Array): void {
  const ctx = ip.ctx;
  const c = ctx.counters;
  c.Ip6InReceives++;
  const parsed = parseIpv6(packet);
  if (!parsed.ok) {
    // Linux: fewer than 40 bytes or a wrong version is a header error; a Payload Length past the end is truncation.
    if (parsed.reason === 'ipv6-truncated' && packet.length >= IPV6_HEADER_LEN) c.Ip6InTruncatedPkts++;
    else c.Ip6InHdrErrors++;
    ctx.trace.dropped('ipv6', parsed.reason, packet);
    return;
  }
  const h = parsed.value;
  c.Ip6InOctets += IPV6_HEADER_LEN + h.payloadLength;
  // Linux tests IFF_LOOPBACK; links carry no flags here, so the loopback link (or one named `lo`, as behind a pcap tap) counts.
  const fromLoopback = iface.link instanceof LoopbackLink || iface.link.name === 'lo';

  // RFC 4291 §2.7: a multicast address is never a source. §2.5.3: ::1 never leaves a node.
  // RFC 4291 §2.5.5.2 / RFC 4942 §2.1.4: IPv4-mapped addresses never appear on the wire.
  if (isMulticast6(h.src)) return hdrError(ip, 'martian-source', packet);
  if (!fromLoopback && (isLoopback6(h.src) || isLoopback6(h.dst))) return hdrError(ip, 'martian-loopback', packet);
  if (isV4Mapped6(h.src) || isV4Mapped6(h.dst)) return hdrError(ip, 'martian-v4-mapped', packet);

  // Destination: one of our addresses (weak host model, as Linux) or a group joined on this interface.
  let dstKind: DestinationKind;
  let tentativeOnly = false;
  if (isMulticast6(h.dst)) {
    const scope = multicastScope6(h.dst);
    // RFC 4291 §2.7: scope 0 is reserved; interface-local (1) traffic never arrives from a link.
    if (scope === 0 || (scope === 1 && !fromLoopback)) return hdrError(ip, 'bad-multicast-scope', packet);
    if (!iface.v6!.mld.has(h.dst)) {
      c.Ip6InAddrErrors++;
      ctx.trace.dropped('ipv6', 'multicast-not-joined', packet);
      return;
    }
    dstKind = 'multicast';
    c.Ip6InMcastPkts++;
  } else {
    const state = localState(ip, h.dst);
    if (state === 'none') {
      // Not for us, and a host does not forward (RFC 8200 §4, RFC 4294 / 8504).
      c.Ip6InAddrErrors++;
      ctx.trace.dropped('ipv6', 'not-for-us', packet);
      return;
    }
    tentativeOnly = state === 'tentative';
    dstKind = 'unicast';
  }

  const w = walkIpv6Extensions(packet, h.nextHeader, IPV6_HEADER_LEN, IPV6_HEADER_LEN + h.payloadLength);
  if (!w.ok) {
    if (w.icmpCode === ICMPV6_PARAM_NEXT_HEADER) c.Ip6InUnknownProtos++;
    else c.Ip6InHdrErrors++;
    ctx.trace.dropped('ipv6', w.reason, packet);
    if (w.icmpCode >= 0) paramProblem(ip, iface, packet, h, dstKind, false, w.icmpCode, w.pointer);
    return;
  }
  const x = w.value;
  if (!optionsAllow(ip, iface, packet, h, dstKind, x)) return;
  const routing = checkRoutingHeader(x.routing);
  if (routing !== null) {
    // RFC 8200 §4.4 for unknown routing types; RFC 5095 §3 makes type 0 one of them.
    c.Ip6InHdrErrors++;
    ctx.trace.dropped('ipv6', routing.reason, packet);
    paramProblem(ip, iface, packet, h, dstKind, false, routing.icmpCode, routing.pointer);
    return;
  }
  if (tentativeOnly && !isNeighborDiscovery(packet, x)) {
    // RFC 4862 §5.4: packets to a tentative address are discarded, ND messages excepted.
    c.Ip6InAddrErrors++;
    ctx.trace.dropped('ipv6', 'tentative-address', packet);
    return;
  }

  if (x.fragment !== null) {
    c.Ip6ReasmReqds++;
    const r = ip.reassembly.acceptIpv6(packet, h, x.fragment);
    if (r.status === 'pending') return;
    if (r.status === 'dropped') {
      if (r.datagramDiscarded) c.Ip6ReasmFails++;
      if (r.icmp !== null) {
        c.Ip6InHdrErrors++;
        paramProblem(ip, iface, packet, h, dstKind, false, r.icmp.code, r.icmp.pointer);
      }
      ctx.trace.dropped('ipv6', r.reason, packet);
      return;
    }
    c.Ip6ReasmOKs++;
    reassembled(ip, iface, r.packet, dstKind);
    return;
  }
  deliver(ip, iface, packet, h, x, dstKind, false);
}

/**
 * A datagram rebuilt from fragments (or an atomic fragment unwrapped,
 * RFC 6946): its headers are walked again, and another Fragment header
 * inside it is refused rather than reassembled recursively.
 */
function reassembled(ip: IpStack, iface: NetInterface, packet: Uint8Array, dstKind: DestinationKind): void {
  const ctx = ip.ctx;
  const parsed = parseIpv6(packet);
  if (!parsed.ok) {
    ctx.counters.Ip6ReasmFails++;
    ctx.trace.dropped('ipv6', parsed.reason, packet);
    return;
  }
  const h = parsed.value;
  const w = walkIpv6Extensions(packet, h.nextHeader, IPV6_HEADER_LEN, IPV6_HEADER_LEN + h.payloadLength, { hopByHopAllowed: true });
  if (!w.ok || w.value.fragment !== null) {
    ctx.counters.Ip6InHdrErrors++;
    ctx.trace.dropped('ipv6', w.ok ? 'nested-fragment' : w.reason, packet);
    if (!w.ok && w.icmpCode >= 0) paramProblem(ip, iface, packet, h, dstKind, false, w.icmpCode, w.pointer);
    return;
  }
  if (!optionsAllow(ip, iface, packet, h, dstKind, w.value)) return;
  deliver(ip, iface, packet, h, w.value, dstKind, true);
}

/** Hands a whole datagram to its protocol, or answers Parameter Problem "unrecognized Next Header". */
function deliver(
  ip: IpStack,
  iface: NetInterface,
  packet: Uint8Array,
  h: Ipv6Packet,
  x: Ipv6Extensions,
  dstKind: DestinationKind,
  wasReassembled: boolean,
): void {
  const ctx = ip.ctx;
  const c = ctx.counters;
  const end = IPV6_HEADER_LEN + h.payloadLength;
  if (x.protocol === IPV6_NO_NEXT_HEADER) {
    // RFC 8200 §4.7: nothing follows; the packet has been fully processed.
    c.Ip6InDelivers++;
    return;
  }
  const info = inbound(iface, end === packet.length ? packet : packet.subarray(0, end), h, x.protocol, dstKind, wasReassembled);
  const handler = ip.handlers[x.protocol];
  if (handler === undefined) {
    c.Ip6InUnknownProtos++;
    ctx.trace.dropped('ipv6', 'unknown-protocol', packet);
    // RFC 8200 §4: Parameter Problem code 1, pointing at the Next Header that named it.
    ip.sendIcmpv6Error(info, ICMPV6_PARAM_PROBLEM, ICMPV6_PARAM_NEXT_HEADER, x.nextHeaderField);
    return;
  }
  c.Ip6InDelivers++;
  handler(info, packet.subarray(x.payloadOffset, end));
}

/**
 * Applies RFC 8200 §4.2 to unrecognised options: the first whose action is
 * not "skip" decides — discard, or discard with Parameter Problem code 2
 * (action 11 only when the destination was not multicast). Returns true
 * when the packet may go on.
 */
function optionsAllow(
  ip: IpStack,
  iface: NetInterface,
  packet: Uint8Array,
  h: Ipv6Packet,
  dstKind: DestinationKind,
  x: Ipv6Extensions,
): boolean {
  for (const o of x.unknownOptions) {
    if (o.action === IPV6_OPT_ACTION_SKIP) continue;
    ip.ctx.counters.Ip6InHdrErrors++;
    ip.ctx.trace.dropped('ipv6', 'unknown-option', packet);
    if (o.action === IPV6_OPT_ACTION_DISCARD) return false;
    const toMulticast = dstKind === 'multicast';
    if (o.action === IPV6_OPT_ACTION_DISCARD_ICMP || !toMulticast) {
      // Action 10 answers even a multicast destination (RFC 4443 §2.4 (e.3) exception).
      paramProblem(ip, iface, packet, h, dstKind, o.action === IPV6_OPT_ACTION_DISCARD_ICMP, ICMPV6_PARAM_OPTION, o.offset);
    }
    return false;
  }
  return true;
}

/** True when a tentative address may still receive this packet: an NS or NA (RFC 4862 §5.4). */
function isNeighborDiscovery(packet: Uint8Array, x: Ipv6Extensions): boolean {
  if (x.protocol !== IPPROTO_ICMPV6 || x.fragment !== null) return false;
  const type = packet[x.payloadOffset];
  return type === ICMPV6_NS || type === ICMPV6_NA;
}

/** Whether `dst` is ours: usable, tentative (ND only), or not at all. */
function localState(ip: IpStack, dst: IPv6Address): 'usable' | 'tentative' | 'none' {
  let tentative = false;
  for (const iface of ip.interfaces) {
    for (const a of iface.ipv6) {
      if (!equal6(a.address, dst)) continue;
      if (isUsableIpv6(a)) return 'usable';
      if (a.state === 'tentative') tentative = true;
    }
  }
  return tentative ? 'tentative' : 'none';
}

function hdrError(ip: IpStack, reason: string, packet: Uint8Array): void {
  ip.ctx.counters.Ip6InHdrErrors++;
  ip.ctx.trace.dropped('ipv6', reason, packet);
}

function inbound(
  iface: NetInterface,
  packet: Uint8Array,
  h: Ipv6Packet,
  protocol: number,
  dstKind: DestinationKind,
  reassembledFlag: boolean,
): InboundIp {
  return {
    family: 6,
    src: h.src,
    dst: h.dst,
    protocol,
    ttl: h.hopLimit,
    tos: h.trafficClass,
    ifindex: iface.index,
    dstKind,
    packet,
    reassembled: reassembledFlag,
  };
}

/** Sends Parameter Problem about `packet` (the ICMPv6 layer applies RFC 4443 §2.4 (e) and rate limits). */
function paramProblem(
  ip: IpStack,
  iface: NetInterface,
  packet: Uint8Array,
  h: Ipv6Packet,
  dstKind: DestinationKind,
  evenIfMulticast: boolean,
  code: number,
  pointer: number,
): void {
  const info = inbound(iface, packet.subarray(0, IPV6_HEADER_LEN + h.payloadLength), h, h.nextHeader, dstKind, false);
  ip.sendIcmpv6Error(info, ICMPV6_PARAM_PROBLEM, code, pointer, evenIfMulticast);
}
