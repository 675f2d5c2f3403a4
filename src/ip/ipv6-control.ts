import type { IPv6Address } from '../core/address.js';
import {
  buildIcmpv6Buffer,
  ICMPV6_MLD2_REPORT,
  ICMPV6_MLD_DONE,
  ICMPV6_MLD_QUERY,
  ICMPV6_MLD_REPORT,
  ICMPV6_NEIGHBOR_ADVERT,
  ICMPV6_NEIGHBOR_SOLICIT,
  ICMPV6_REDIRECT,
  ICMPV6_ROUTER_ADVERT,
  ICMPV6_ROUTER_SOLICIT,
  icmpv6Type,
  IPPROTO_ICMPV6,
  type Icmpv6Message,
  type Icmpv6Spec,
} from '../icmp/icmpv6-header.js';
import type { NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import { isMulticast6 } from './ipv6-address.js';
import type { Ipv6ExtensionSpec } from './ipv6-header.js';
import { controlSpec, ipv6Emit } from './ipv6-output.js';
import { ndpInput } from './ndp.js';
import { routerAdvertisementInput } from './router-discovery.js';
import type { InboundIp } from './types.js';

/**
 * The IPv6 control plane's ICMPv6 traffic: Neighbor Discovery (RFC 4861)
 * and MLD (RFC 3810) are part of IPv6 itself (as in Linux's ndisc.c and
 * mcast.c), so the ICMPv6 layer hands those types here after checking the
 * checksum, and the control plane sends its messages through
 * {@link sendIcmpv6Control}.
 */

/** True for the ICMPv6 types the IP layer's control plane handles. */
export function isIpv6ControlType(type: number): boolean {
  return (type >= ICMPV6_MLD_QUERY && type <= ICMPV6_REDIRECT) || type === ICMPV6_MLD2_REPORT;
}

/** Dispatches one valid (checksummed) ND or MLD message that arrived on `iface`. */
export function ipv6ControlInput(ip: IpStack, iface: NetInterface, info: InboundIp, msg: Icmpv6Message): void {
  const v6 = iface.v6;
  if (v6 === null) return;
  // RFC 6980 §5: fragmented Neighbor Discovery messages are silently ignored (they defeat RA-Guard).
  if (info.reassembled && msg.type >= ICMPV6_ROUTER_SOLICIT && msg.type <= ICMPV6_REDIRECT) {
    ip.ctx.trace.dropped('ndp', 'fragmented-nd', info.packet);
    return;
  }
  switch (msg.type) {
    case ICMPV6_NEIGHBOR_SOLICIT:
    case ICMPV6_NEIGHBOR_ADVERT:
    case ICMPV6_REDIRECT:
      ndpInput(ip, iface, info, msg);
      return;
    case ICMPV6_ROUTER_ADVERT:
      routerAdvertisementInput(ip, iface, info, msg);
      return;
    case ICMPV6_ROUTER_SOLICIT:
      // RFC 4861 §6.2.6: hosts silently discard Router Solicitations.
      ip.ctx.trace.dropped('ndp', 'rs-on-host', info.packet);
      return;
    case ICMPV6_MLD_QUERY:
      v6.mld.queryInput(info, msg);
      return;
    case ICMPV6_MLD_REPORT:
    case ICMPV6_MLD_DONE:
    case ICMPV6_MLD2_REPORT:
      // Other listeners' reports: an MLDv2 host never suppresses its own (RFC 3810 §6.1), so nothing to do.
      return;
    default:
      return;
  }
}

/** How to send one control message. */
export interface ControlSendOptions {
  readonly src: IPv6Address;
  readonly dst: IPv6Address;
  readonly hopLimit: number;
  readonly extensions?: readonly Ipv6ExtensionSpec[];
  /** Link-layer destination, bypassing the neighbour cache (unicast NUD probes). */
  readonly mac?: Uint8Array;
}

/**
 * Builds an ICMPv6 control message (checksum over the pseudo-header of the
 * addresses it goes with) and sends it out of `iface`, counting it as Linux
 * does in Icmp6Out*. Never throws; returns false when it could not be sent.
 */
export function sendIcmpv6Control(ip: IpStack, iface: NetInterface, spec: Icmpv6Spec, o: ControlSendOptions): boolean {
  const c = ip.ctx.counters;
  const v6 = iface.v6;
  if (v6 === null || !iface.up) return false;
  const pkt = buildIcmpv6Buffer(spec, o.src, o.dst);
  c.Ip6OutRequests++;
  const result = ipv6Emit(
    ip,
    iface,
    controlSpec(o.src, o.dst, IPPROTO_ICMPV6, o.hopLimit, o.extensions),
    pkt,
    o.dst,
    isMulticast6(o.dst) ? v6.mtu : Math.min(v6.mtu, ip.pmtu.get(o.dst, ip.ctx.clock.now())),
    false,
    o.mac ?? null,
  );
  if (result !== 'ok') {
    c.Icmp6OutErrors++;
    return false;
  }
  c.Icmp6OutMsgs++;
  switch (icmpv6Type(spec)) {
    case ICMPV6_NEIGHBOR_SOLICIT:
      c.Icmp6OutNeighborSolicits++;
      break;
    case ICMPV6_NEIGHBOR_ADVERT:
      c.Icmp6OutNeighborAdvertisements++;
      break;
    case ICMPV6_ROUTER_SOLICIT:
      c.Icmp6OutRouterSolicits++;
      break;
    case ICMPV6_MLD2_REPORT:
      c.Icmp6OutMLDv2Reports++;
      break;
    case ICMPV6_MLD_REPORT:
    case ICMPV6_MLD_DONE:
    default:
      break;
  }
  return true;
}
