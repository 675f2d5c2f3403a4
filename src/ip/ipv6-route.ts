import type { IPv6Address } from '../core/address.js';
import type { NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import { isLinkLocal6, isMulticast6, isUnspecified6 } from './ipv6-address.js';
import { IPV6_MIN_MTU } from './ipv6-header.js';
import type { RouteError } from './ipv6-output.js';
import { selectSource6 } from './ipv6-source.js';
import type { RouteResult } from './types.js';

/**
 * IPv6 route lookup with source selection (RFC 6724) and the path MTU, or
 * the errno that explains why there is none: ENETUNREACH (no route, or the
 * interface is down or has no IPv6), EADDRNOTAVAIL (the source given is not
 * ours, or no usable source exists — e.g. while DAD runs), EINVAL.
 *
 * `ifindex` scopes the lookup to one interface (link-local and multicast
 * destinations, SO_BINDTODEVICE); without it a link-local source picks its
 * own interface (RFC 4007 zones). A given source of :: is kept (packets
 * that precede any address, as DHCPv6 and MLD during DAD send).
 */
export function routeIpv6(ip: IpStack, dst: IPv6Address, src: IPv6Address | undefined, ifindex: number): RouteResult | RouteError {
  if (dst.length !== 16 || (src !== undefined && src.length !== 16)) return 'EINVAL';
  const givenSrc = src !== undefined && !isUnspecified6(src) ? src : undefined;
  if (givenSrc !== undefined && !ip.isLocalAddress(givenSrc)) return 'EADDRNOTAVAIL';
  // A local destination is reached through the stack itself (Linux's `local` table).
  const own = isMulticast6(dst) ? undefined : ip.interfaceOfIpv6(dst);
  if (own && (ifindex === 0 || ifindex === own.index)) {
    return { family: 6, src: givenSrc ?? dst, dst, nextHop: dst, ifindex: own.index, mtu: 65535 };
  }
  let scope = ifindex;
  if (scope === 0 && givenSrc !== undefined && isLinkLocal6(givenSrc)) scope = ip.interfaceOfIpv6(givenSrc)?.index ?? 0;
  const r = ip.routes6.lookup(dst, scope);
  let iface: NetInterface | undefined;
  let nextHop: IPv6Address = dst;
  if (r !== null) {
    iface = ip.interfaceByIndex(r.ifindex);
    if (r.gateway !== null) nextHop = r.gateway;
  } else if (scope !== 0) {
    // A forced interface with no route there: the destination is taken as on-link.
    iface = ip.interfaceByIndex(scope);
  }
  if (!iface || !iface.up || iface.v6 === null) return 'ENETUNREACH';
  let chosen: IPv6Address | null;
  if (givenSrc !== undefined) chosen = givenSrc;
  else if (src !== undefined) chosen = src;
  else chosen = (r?.src !== undefined && iface.hasIpv6(r.src) ? r.src : null) ?? selectSource6(ip.interfaces, iface, dst);
  if (chosen === null) return 'EADDRNOTAVAIL';
  // The path MTU (RFC 8201) caps the interface's IPv6 MTU, and never goes under the IPv6 minimum.
  const mtu = isMulticast6(dst) ? iface.v6.mtu : Math.min(iface.v6.mtu, ip.pmtu.get(dst, ip.ctx.clock.now()));
  return { family: 6, src: chosen, dst, nextHop, ifindex: iface.index, mtu: Math.max(mtu, IPV6_MIN_MTU) };
}
