import type { IPv4Address } from '../core/address.js';
import type { NetInterface } from './interface.js';
import type { RouteResult } from './types.js';

/**
 * One resolved IPv4 route: what {@link IpStack.route} and IPv4 output need
 * per datagram, decided once per destination (and asked source) instead of
 * once per packet.
 *
 * Only what follows from the routing table and the interfaces' addresses
 * is kept here. What may change without either changing is read again on
 * every use: the interface's `up` flag and MTU, and the path MTU learned
 * from ICMP (RFC 1191), which also expires with time.
 */
export interface Route4Entry {
  readonly dst: IPv4Address;
  /** The source asked for, or -1 when the route chose it. */
  readonly srcKey: number;
  /** Cache generation the entry was made in. */
  gen: number;
  readonly iface: NetInterface;
  readonly src: IPv4Address;
  readonly nextHop: IPv4Address;
  /** The destination is one of our addresses (Linux's `local` table): looped back, MTU 65535. */
  readonly local: boolean;
  /** The destination is the limited broadcast or a directed broadcast of `iface`'s subnets. */
  readonly broadcast: boolean;
  /** The last RouteResult built from this entry (reused while its MTU still holds). */
  result: RouteResult | null;
}

/** Slots of the direct-mapped cache (a power of two). */
const SLOTS = 64;

/**
 * A small direct-mapped cache of {@link Route4Entry}s, one per IP layer
 * (never shared between stacks). It is emptied — by a generation bump, not
 * a sweep — whenever the routing table's version or the interfaces'
 * address versions move, so a cached answer is always the one a fresh
 * lookup would give.
 */
export class Ipv4RouteCache {
  private readonly slots: (Route4Entry | undefined)[] = new Array<Route4Entry | undefined>(SLOTS);
  private gen = 1;
  private routesVersion = -1;
  private addressVersion = -1;

  /** Drops every entry when the versions they were made under are gone. */
  sync(routesVersion: number, addressVersion: number): void {
    if (routesVersion === this.routesVersion && addressVersion === this.addressVersion) return;
    this.routesVersion = routesVersion;
    this.addressVersion = addressVersion;
    this.gen++;
  }

  /** The live entry for `dst` and `srcKey` (-1: no source asked), if cached. */
  get(dst: IPv4Address, srcKey: number): Route4Entry | undefined {
    const e = this.slots[slotOf(dst, srcKey)];
    if (e === undefined || e.gen !== this.gen || e.dst !== dst || e.srcKey !== srcKey) return undefined;
    return e;
  }

  /** Stores `e` (made under the current versions), evicting whatever shared its slot. */
  put(e: Route4Entry): void {
    e.gen = this.gen;
    this.slots[slotOf(e.dst, e.srcKey)] = e;
  }
}

function slotOf(dst: number, srcKey: number): number {
  const h = Math.imul(dst ^ (srcKey * 31), 0x9e3779b1);
  return (h >>> 26) & (SLOTS - 1);
}
