import type { IPv6Address } from '../core/address.js';
import type { PacketBuffer } from '../core/packet-buffer.js';
import {
  ICMPV6_DEST_UNREACH,
  ICMPV6_UNREACH_ADDRESS,
  NA_FLAG_OVERRIDE,
  NA_FLAG_ROUTER,
  NA_FLAG_SOLICITED,
  type Icmpv6Message,
  type NdpOption,
} from '../icmp/icmpv6-header.js';
import { NeighborCache } from '../link/neighbor-cache.js';
import { dadConflict } from './dad.js';
import type { NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import {
  addressOfKey6,
  allNodes6,
  equal6,
  isMulticast6,
  isSolicitedNode6,
  isUnspecified6,
  key6,
  solicitedNode6,
} from './ipv6-address.js';
import { sendIcmpv6Control } from './ipv6-control.js';
import { IPV6_F_SRC, IPV6_HEADER_LEN, parseIpv6, walkIpv6Extensions } from './ipv6-header.js';
import type { Ipv6Interface } from './ipv6-interface.js';
import { selectSource6 } from './ipv6-source.js';
import { removeDefaultRouter } from './router-discovery.js';
import type { InboundIp } from './types.js';

/**
 * Neighbor Discovery address resolution and neighbour unreachability
 * detection (RFC 4861 §7) on an Ethernet interface. The NUD state machine
 * itself is the generic {@link NeighborCache} that ARP uses too, keyed here
 * by {@link key6} strings; this module supplies its solicitations and feeds
 * it what Neighbor Solicitations and Advertisements say.
 */

/** ND messages carry Hop Limit 255, proof they were not forwarded (RFC 4861 §6.1, §7.1). */
export const ND_HOP_LIMIT = 255;

const ETHERNET_ADDRESS_LEN = 6;

/** The neighbour cache of an Ethernet interface, wired to send NS and to report failures. */
export function createNeighborCache(ip: IpStack, iface: NetInterface, v6: Ipv6Interface): NeighborCache<string> {
  return new NeighborCache<string>(
    ip.ctx,
    {
      solicit: (key, unicastMac) => solicit(ip, iface, key, unicastMac),
      transmit: (pkt, mac) => iface.medium?.outputIpv6(pkt, mac),
      failed: (_key, dropped, queue) => {
        ip.ctx.counters.Ip6OutDiscards += dropped;
        for (const pkt of queue ?? []) reportUnreachable(ip, pkt);
      },
    },
    v6.config.neighbor,
  );
}

/**
 * Solicits `key`'s link-layer address: multicast to its solicited-node group
 * while INCOMPLETE, unicast to the cached address in PROBE (RFC 4861
 * §7.2.2, §7.3.3). The source is that of the packet waiting for resolution
 * when it is ours, else one of the interface's addresses (§7.2.2).
 */
function solicit(ip: IpStack, iface: NetInterface, key: string, unicastMac: Uint8Array | null): void {
  const target = addressOfKey6(key);
  let src: IPv6Address | null = null;
  const waiting = iface.v6?.neighbors?.get(key)?.queue[0];
  if (waiting !== undefined) {
    const p = waiting.view();
    if (p.length >= IPV6_HEADER_LEN) {
      const s = p.subarray(IPV6_F_SRC, IPV6_F_SRC + 16);
      if (iface.hasIpv6(s)) src = s.slice();
    }
  }
  src ??= selectSource6([iface], iface, target);
  if (src === null) return;
  sendNeighborSolicitation(ip, iface, target, src, unicastMac);
}

/**
 * Sends a Neighbor Solicitation for `target` from `src` (:: for DAD, RFC
 * 4862 §5.4.2, in which case no Source Link-Layer Address option may be
 * included, RFC 4861 §4.3).
 */
export function sendNeighborSolicitation(
  ip: IpStack,
  iface: NetInterface,
  target: IPv6Address,
  src: IPv6Address,
  unicastMac: Uint8Array | null,
): boolean {
  const mac = iface.medium?.mac;
  const options: NdpOption[] = [];
  if (mac !== undefined && !isUnspecified6(src)) options.push({ kind: 'source-lla', address: mac });
  return sendIcmpv6Control(
    ip,
    iface,
    { kind: 'neighbor-solicitation', target, options },
    {
      src,
      dst: unicastMac === null ? solicitedNode6(target) : target,
      hopLimit: ND_HOP_LIMIT,
      ...(unicastMac !== null ? { mac: unicastMac } : {}),
    },
  );
}

/**
 * Sends a Neighbor Advertisement for our `target` (RFC 4861 §7.2.4): from
 * the target itself, Router flag clear (we are a host), Override set (the
 * address is not anycast).
 */
export function sendNeighborAdvertisement(
  ip: IpStack,
  iface: NetInterface,
  target: IPv6Address,
  dst: IPv6Address,
  solicited: boolean,
  includeTargetLla: boolean,
): boolean {
  const mac = iface.medium?.mac;
  const options: NdpOption[] = [];
  if (includeTargetLla && mac !== undefined) options.push({ kind: 'target-lla', address: mac });
  const flags = ((solicited ? NA_FLAG_SOLICITED : 0) | NA_FLAG_OVERRIDE) >>> 0;
  return sendIcmpv6Control(
    ip,
    iface,
    { kind: 'neighbor-advertisement', flags, target: target.slice(), options },
    { src: target.slice(), dst, hopLimit: ND_HOP_LIMIT },
  );
}

/** Handles a Neighbor Solicitation, Advertisement or Redirect that arrived on `iface`. Never throws. */
export function ndpInput(ip: IpStack, iface: NetInterface, info: InboundIp, msg: Icmpv6Message): void {
  const trace = ip.ctx.trace;
  // RFC 4861 §7.1.1, §7.1.2 (and §8.1 for Redirect): hop limit 255 and code 0.
  if (info.ttl !== ND_HOP_LIMIT) return trace.dropped('ndp', 'bad-hop-limit', info.packet);
  if (msg.code !== 0) return trace.dropped('ndp', 'bad-code', info.packet);
  const f = msg.fields;
  if (f.kind === 'neighbor-solicitation') return solicitationInput(ip, iface, info, f.target, f.options);
  if (f.kind === 'neighbor-advertisement') return advertisementInput(ip, iface, info, f.flags, f.target, f.options);
  // Redirects (RFC 4861 §8) are not acted on: routes stay as configured and advertised.
  trace.dropped('ndp', 'redirect-ignored', info.packet);
}

/** The link-layer address in an option of `kind`, null if absent, undefined if malformed for Ethernet. */
function llaOption(options: readonly NdpOption[], kind: 'source-lla' | 'target-lla'): Uint8Array | null | undefined {
  for (const o of options) {
    if (o.kind === kind) return o.address.length === ETHERNET_ADDRESS_LEN ? o.address : undefined;
  }
  return null;
}

/** RFC 4861 §7.1.1 validation and §7.2.3 processing; DAD per RFC 4862 §5.4.3. */
function solicitationInput(
  ip: IpStack,
  iface: NetInterface,
  info: InboundIp,
  target: IPv6Address,
  options: readonly NdpOption[],
): void {
  const trace = ip.ctx.trace;
  const src = info.src as IPv6Address;
  const dst = info.dst as IPv6Address;
  if (isMulticast6(target)) return trace.dropped('ndp', 'multicast-target', info.packet);
  const slla = llaOption(options, 'source-lla');
  if (slla === undefined) return trace.dropped('ndp', 'bad-lla-option', info.packet);
  const fromDad = isUnspecified6(src);
  // A DAD probe goes to the solicited-node group and carries no link-layer address.
  if (fromDad && (!isSolicitedNode6(dst) || slla !== null)) return trace.dropped('ndp', 'bad-dad-solicitation', info.packet);
  const a = iface.ipv6AssignmentOf(target);
  if (a === undefined || a.state === 'duplicate') return trace.dropped('ndp', 'target-not-ours', info.packet);
  if (a.state === 'tentative') {
    // RFC 4862 §5.4.3: another node probing the same tentative address means a duplicate;
    // address resolution for a tentative address is ignored.
    if (fromDad) dadConflict(ip, iface, a, 'ns', info.packet);
    else trace.dropped('ndp', 'target-tentative', info.packet);
    return;
  }
  if (fromDad) {
    // Defend our address: an unsolicited NA to all-nodes (RFC 4861 §7.2.4).
    sendNeighborAdvertisement(ip, iface, target, allNodes6(), false, true);
    return;
  }
  const cache = iface.v6?.neighbors;
  if (slla !== null && cache) cache.update(key6(src), slla, false, true);
  // Linux includes our address only when the solicitation was multicast (a unicast NS is a NUD probe: the sender has it).
  sendNeighborAdvertisement(ip, iface, target, src.slice(), true, isMulticast6(dst));
}

/** RFC 4861 §7.1.2 validation and §7.2.5 processing. */
function advertisementInput(
  ip: IpStack,
  iface: NetInterface,
  info: InboundIp,
  flags: number,
  target: IPv6Address,
  options: readonly NdpOption[],
): void {
  const trace = ip.ctx.trace;
  const solicited = (flags & NA_FLAG_SOLICITED) !== 0;
  const override = (flags & NA_FLAG_OVERRIDE) !== 0;
  const router = (flags & NA_FLAG_ROUTER) !== 0;
  if (isMulticast6(target)) return trace.dropped('ndp', 'multicast-target', info.packet);
  if (solicited && isMulticast6(info.dst as IPv6Address)) return trace.dropped('ndp', 'solicited-to-multicast', info.packet);
  const tlla = llaOption(options, 'target-lla');
  if (tlla === undefined) return trace.dropped('ndp', 'bad-lla-option', info.packet);
  const a = iface.ipv6AssignmentOf(target);
  if (a !== undefined) {
    // RFC 4862 §5.4.4: someone else answers for our tentative address: it is a duplicate.
    if (a.state === 'tentative') dadConflict(ip, iface, a, 'na', info.packet);
    else trace.dropped('ndp', 'na-for-own-address', info.packet);
    return;
  }
  const cache = iface.v6?.neighbors;
  if (!cache) return;
  const key = key6(target);
  const e = cache.get(key);
  // §7.2.5: no entry → silently discard (unsolicited NAs create nothing).
  if (e === undefined) return trace.dropped('ndp', 'na-no-entry', info.packet);
  if (e.state === 'incomplete') {
    if (tlla === null) return trace.dropped('ndp', 'na-without-lla', info.packet);
    cache.update(key, tlla, solicited, false);
  } else {
    const differs = tlla !== null && e.mac !== null && !equalMac(e.mac, tlla);
    if (!override && differs) {
      // Keep the cached address; a REACHABLE entry becomes STALE so NUD checks it.
      if (e.state === 'reachable') e.state = 'stale';
      return;
    }
    if (tlla !== null) cache.update(key, tlla, solicited, false);
    else if (solicited) cache.confirm(key);
  }
  // IsRouter went from TRUE to FALSE: the node is no router (§7.2.5).
  if (!router && iface.v6?.routers.some((r) => equal6(r.address, target))) removeDefaultRouter(ip, iface, target);
}

function equalMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < ETHERNET_ADDRESS_LEN; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Address resolution failed for a packet we queued: tell its transport
 * "address unreachable" (RFC 4861 §7.2.2 asks for ICMPv6 Destination
 * Unreachable code 3; the packet is ours, so the report goes straight to the
 * protocol that sent it, as Linux's error loops back to the socket).
 */
function reportUnreachable(ip: IpStack, pkt: PacketBuffer): void {
  const p = pkt.view();
  const h = parseIpv6(p);
  if (!h.ok) return;
  const w = walkIpv6Extensions(p, h.value.nextHeader, IPV6_HEADER_LEN, IPV6_HEADER_LEN + h.value.payloadLength);
  if (!w.ok || w.value.fragment !== null && w.value.fragment.offset !== 0) return;
  const src = h.value.src.slice();
  ip.deliverIcmpError({
    family: 6,
    kind: 'host-unreachable',
    type: ICMPV6_DEST_UNREACH,
    code: ICMPV6_UNREACH_ADDRESS,
    mtu: 0,
    reporter: src,
    src,
    dst: h.value.dst.slice(),
    protocol: w.value.protocol,
    quoted: p.slice(w.value.payloadOffset),
    errno: 'EHOSTUNREACH',
  });
}
