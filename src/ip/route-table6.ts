import { formatIPv6, type IPv6Address } from '../core/address.js';
import { maskPrefix6, prefixMatch6 } from './ipv6-address.js';

/** Where an IPv6 route came from (Linux `proto`). */
export type Ipv6RouteOrigin = 'kernel' | 'static' | 'ra';

/** One IPv6 route. */
export interface Ipv6Route {
  /** Network address (bits after the prefix are zero). */
  readonly network: IPv6Address;
  readonly prefix: number;
  /** Next-hop router (a link-local address, RFC 4861 §8), or null when on-link. */
  readonly gateway: IPv6Address | null;
  readonly ifindex: number;
  /** Lower wins among routes of equal prefix length (Linux: 256 for connected, 1024 for RA defaults). */
  readonly metric: number;
  /** Preferred source address (Linux `ip -6 route ... src`). */
  readonly src?: IPv6Address;
  /** Default 'static'. */
  readonly origin?: Ipv6RouteOrigin;
}

/**
 * An IPv6 routing table with longest-prefix match. A host holds a handful
 * of routes (connected prefixes, fe80::/64, ff00::/8, one or two defaults),
 * so the table is one list sorted by prefix length (longest first) then
 * metric, and a lookup is a scan with byte comparisons: no allocation, no
 * hashing, and faster than a trie at this size.
 */
export class Ipv6RouteTable {
  private routes: Ipv6Route[] = [];

  /** Number of routes. */
  get size(): number {
    return this.routes.length;
  }

  /** Adds a route. Throws on a malformed route (programmer error). */
  add(route: Ipv6Route): void {
    if (!Number.isInteger(route.prefix) || route.prefix < 0 || route.prefix > 128) {
      throw new RangeError(`bad prefix length ${route.prefix}`);
    }
    if (route.network.length !== 16) throw new RangeError('an IPv6 network is 16 bytes');
    const normalised: Ipv6Route = {
      ...route,
      network: maskPrefix6(route.network, route.prefix),
      gateway: route.gateway === null ? null : route.gateway.slice(0, 16),
    };
    this.routes.push(normalised);
    this.routes.sort((a, b) => b.prefix - a.prefix || a.metric - b.metric);
  }

  /**
   * Removes routes to network/prefix, optionally only those through
   * `ifindex` and via `gateway` (null: on-link only). Returns how many went.
   */
  remove(network: IPv6Address, prefix: number, ifindex?: number, gateway?: IPv6Address | null): number {
    const before = this.routes.length;
    this.routes = this.routes.filter(
      (r) =>
        !(
          r.prefix === prefix &&
          prefixMatch6(r.network, network, prefix) &&
          (ifindex === undefined || r.ifindex === ifindex) &&
          (gateway === undefined || sameGateway(r.gateway, gateway))
        ),
    );
    return before - this.routes.length;
  }

  /** Removes every route through an interface. */
  removeInterface(ifindex: number): void {
    this.routes = this.routes.filter((r) => r.ifindex !== ifindex);
  }

  /**
   * The best route to `dst`, or null. With `ifindex` only routes through
   * that interface count (a scoped lookup, as for link-local destinations
   * and SO_BINDTODEVICE).
   */
  lookup(dst: IPv6Address, ifindex = 0): Ipv6Route | null {
    for (const r of this.routes) {
      if (ifindex !== 0 && r.ifindex !== ifindex) continue;
      if (prefixMatch6(dst, r.network, r.prefix)) return r;
    }
    return null;
  }

  /** The route to exactly network/prefix via `gateway` on `ifindex`, if present. */
  find(network: IPv6Address, prefix: number, ifindex: number, gateway: IPv6Address | null): Ipv6Route | null {
    for (const r of this.routes) {
      if (r.prefix === prefix && r.ifindex === ifindex && prefixMatch6(r.network, network, prefix) && sameGateway(r.gateway, gateway)) {
        return r;
      }
    }
    return null;
  }

  /** Every route, longest prefix first (for `ip -6 route`-style listings). */
  list(): Ipv6Route[] {
    return this.routes.slice();
  }

  /** `ip -6 route` style text of one route. */
  static format(r: Ipv6Route, ifname: (ifindex: number) => string): string {
    const dst = r.prefix === 0 ? 'default' : `${formatIPv6(r.network)}/${r.prefix}`;
    const via = r.gateway === null ? '' : ` via ${formatIPv6(r.gateway)}`;
    const proto = r.origin === undefined || r.origin === 'static' ? '' : ` proto ${r.origin}`;
    const src = r.src === undefined ? '' : ` src ${formatIPv6(r.src)}`;
    return `${dst}${via} dev ${ifname(r.ifindex)}${proto}${src} metric ${r.metric}`;
  }
}

function sameGateway(a: IPv6Address | null, b: IPv6Address | null): boolean {
  if (a === null || b === null) return a === b;
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}
