import { formatIPv4, ipv4Mask, type IPv4Address } from '../core/address.js';

/** One IPv4 route. */
export interface Ipv4Route {
  /** Network address (host bits zero). */
  readonly network: IPv4Address;
  readonly prefix: number;
  /** Next-hop router, or null when the destination is on-link. */
  readonly gateway: IPv4Address | null;
  readonly ifindex: number;
  /** Lower wins among routes of equal prefix length. */
  readonly metric: number;
  /** Preferred source address for this route (Linux `ip route ... src`). */
  readonly src?: IPv4Address;
}

/**
 * An IPv4 routing table with longest-prefix match (RFC 1812 §5.2.4.3). Routes
 * are grouped by prefix length; a lookup probes the lengths present, longest
 * first, with one Map lookup each — at most 33 probes, usually two or three.
 */
export class Ipv4RouteTable {
  /** prefix length → (network → routes sorted by metric). */
  private readonly byLength = new Map<number, Map<number, Ipv4Route[]>>();
  /** Prefix lengths present, longest first. */
  private lengths: number[] = [];
  /** Bumped by every change, so that caches of lookups (the IP layer's route cache) know when to forget. */
  version = 0;

  /** Adds a route. Throws on a malformed route (programmer error). */
  add(route: Ipv4Route): void {
    if (!Number.isInteger(route.prefix) || route.prefix < 0 || route.prefix > 32) {
      throw new RangeError(`bad prefix length ${route.prefix}`);
    }
    const network = (route.network & ipv4Mask(route.prefix)) >>> 0;
    this.version++;
    const normalised: Ipv4Route = { ...route, network };
    let table = this.byLength.get(route.prefix);
    if (!table) {
      table = new Map();
      this.byLength.set(route.prefix, table);
      this.lengths = [...this.byLength.keys()].sort((a, b) => b - a);
    }
    const list = table.get(network) ?? [];
    list.push(normalised);
    list.sort((a, b) => a.metric - b.metric);
    table.set(network, list);
  }

  /** Removes routes matching network/prefix (and ifindex when given). Returns how many were removed. */
  remove(network: IPv4Address, prefix: number, ifindex?: number): number {
    const table = this.byLength.get(prefix);
    if (!table) return 0;
    const key = (network & ipv4Mask(prefix)) >>> 0;
    const list = table.get(key);
    if (!list) return 0;
    const kept = list.filter((r) => ifindex !== undefined && r.ifindex !== ifindex);
    const removed = list.length - kept.length;
    this.version++;
    if (kept.length > 0) table.set(key, kept);
    else table.delete(key);
    if (table.size === 0) {
      this.byLength.delete(prefix);
      this.lengths = [...this.byLength.keys()].sort((a, b) => b - a);
    }
    return removed;
  }

  /** Removes every route through an interface. */
  removeInterface(ifindex: number): void {
    for (const r of this.list()) if (r.ifindex === ifindex) this.remove(r.network, r.prefix, ifindex);
  }

  /** The best route to `dst`, or null (no route, not even a default). */
  lookup(dst: IPv4Address): Ipv4Route | null {
    for (const len of this.lengths) {
      const hit = this.byLength.get(len)!.get((dst & ipv4Mask(len)) >>> 0);
      if (hit) return hit[0]!;
    }
    return null;
  }

  /** Every route, longest prefix first (for `ip route`-style listings). */
  list(): Ipv4Route[] {
    const out: Ipv4Route[] = [];
    for (const len of this.lengths) for (const routes of this.byLength.get(len)!.values()) out.push(...routes);
    return out;
  }

  /** `ip route` style text of one route. */
  static format(r: Ipv4Route, ifname: (ifindex: number) => string): string {
    const dst = r.prefix === 0 ? 'default' : `${formatIPv4(r.network)}/${r.prefix}`;
    const via = r.gateway === null ? '' : ` via ${formatIPv4(r.gateway)}`;
    const src = r.src === undefined ? '' : ` src ${formatIPv4(r.src)}`;
    return `${dst}${via} dev ${ifname(r.ifindex)}${src} metric ${r.metric}`;
  }
}
