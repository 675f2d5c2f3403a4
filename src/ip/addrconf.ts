import type { IPv6Address } from '../core/address.js';
import { Timer } from '../core/scheduler.js';
import { startDad, stopDad } from './dad.js';
import type { Ipv6AddressOrigin, Ipv6Assignment, NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import {
  allNodes6,
  equal6,
  isLinkLocal6,
  isLoopback6,
  isMulticast6,
  isUnspecified6,
  linkLocalFromIid,
  maskPrefix6,
  prefixMatch6,
  solicitedNode6,
} from './ipv6-address.js';
import { IPV6_MIN_MTU } from './ipv6-header.js';
import { defaultIpv6InterfaceConfig, Ipv6Interface, type Ipv6InterfaceConfig } from './ipv6-interface.js';
import { MldHost } from './mld-host.js';
import { createNeighborCache } from './ndp.js';
import { removeDefaultRouter, startRouterSolicitation } from './router-discovery.js';
import { interfaceIdFor } from './slaac.js';

/**
 * Address configuration of IPv6 interfaces (Linux's addrconf.c): starting
 * IPv6 on an interface, adding and removing addresses (each with its
 * solicited-node group and DAD), and the lifetimes of addresses, on-link
 * prefixes and default routers, all driven by one timer per interface.
 */

/** Metric of connected and multicast routes, and of RA defaults (Linux's IP6_RT_PRIO_ADDRCONF and IP6_RT_PRIO_USER). */
export const METRIC_CONNECTED = 256;
export const METRIC_RA_DEFAULT = 1024;

/** Options for {@link enableIpv6}: the per-interface knobs, with the neighbour timing nested. */
export type Ipv6InterfaceOptions = Partial<Omit<Ipv6InterfaceConfig, 'neighbor'>> & {
  neighbor?: Partial<Ipv6InterfaceConfig['neighbor']>;
};

/** A lifetime in seconds from an ND option as µs; 0xffffffff is infinity (RFC 4861 §4.6.2). */
export function lifetimeUs(seconds: number): number {
  return seconds === 0xffffffff ? Infinity : seconds * 1_000_000;
}

/**
 * Starts IPv6 on `iface` (idempotent): the neighbour cache on Ethernet, the
 * connected fe80::/64 and ff00::/8 routes, the all-nodes group, then the
 * link-local address (RFC 4862 §5.3) whose DAD completion starts router
 * solicitation. Throws (programmer error) when the link MTU is below the
 * IPv6 minimum of 1280 (RFC 8200 §5).
 */
export function enableIpv6(ip: IpStack, iface: NetInterface, options: Ipv6InterfaceOptions = {}): Ipv6Interface {
  if (iface.v6 !== null) return iface.v6;
  if (iface.mtu < IPV6_MIN_MTU) throw new RangeError(`IPv6 needs an MTU of at least ${IPV6_MIN_MTU}; ${iface.name} has ${iface.mtu}`);
  const defaults = defaultIpv6InterfaceConfig();
  const { neighbor, ...rest } = options;
  const config: Ipv6InterfaceConfig = { ...defaults, ...stripUndefined(rest), neighbor: { ...defaults.neighbor, ...stripUndefined(neighbor ?? {}) } };
  const secret = new Uint8Array(16);
  ip.ctx.random.fill(secret);
  const v6 = new Ipv6Interface(config, iface.mtu, iface.medium !== null, secret);
  iface.v6 = v6;
  if (iface.medium !== null) v6.neighbors = createNeighborCache(ip, iface, v6);
  v6.mld = new MldHost(ip, iface, v6);
  const linkLocalNet = new Uint8Array(16);
  linkLocalNet[0] = 0xfe;
  linkLocalNet[1] = 0x80;
  ip.routes6.add({ network: linkLocalNet, prefix: 64, gateway: null, ifindex: iface.index, metric: METRIC_CONNECTED, origin: 'kernel' });
  const multicastNet = new Uint8Array(16);
  multicastNet[0] = 0xff;
  ip.routes6.add({ network: multicastNet, prefix: 8, gateway: null, ifindex: iface.index, metric: METRIC_CONNECTED, origin: 'kernel' });
  // RFC 4862 §5.4.2: all-nodes is joined before anything is sent (it is never reported).
  v6.mld.join(allNodes6());
  if (config.linkLocal) {
    addIpv6Address(ip, iface, linkLocalFromIid(interfaceIdFor(iface, v6, linkLocalNet)), 64, 'link-local');
  } else {
    startRouterSolicitation(ip, iface);
  }
  return v6;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * Adds an address to `iface` (starting IPv6 there if needed): joins its
 * solicited-node group (RFC 4861 §7.2.1), adds the on-link route for a
 * configured prefix, and starts DAD. An address already present only has
 * its lifetimes refreshed. Throws on an address no interface may carry
 * (multicast, ::, ::1 off a loopback).
 */
export function addIpv6Address(
  ip: IpStack,
  iface: NetInterface,
  address: IPv6Address,
  prefix: number,
  origin: Ipv6AddressOrigin,
  validUs = Infinity,
  preferredUs = Infinity,
): Ipv6Assignment {
  if (address.length !== 16 || isMulticast6(address) || isUnspecified6(address)) {
    throw new TypeError('not a unicast IPv6 address');
  }
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 128) throw new RangeError(`bad prefix length ${prefix}`);
  const v6 = iface.v6 ?? enableIpv6(ip, iface);
  const now = ip.ctx.clock.now();
  const existing = iface.ipv6AssignmentOf(address);
  if (existing !== undefined) {
    existing.validUntil = now + validUs;
    existing.preferredUntil = now + preferredUs;
    scheduleLifetimes(ip, iface);
    return existing;
  }
  const a: Ipv6Assignment = {
    address: address.slice(),
    prefix,
    origin,
    state: 'tentative',
    validUntil: now + validUs,
    preferredUntil: now + preferredUs,
  };
  iface.ipv6.push(a);
  if (origin === 'static' && prefix < 128 && !isLoopback6(address)) {
    const network = maskPrefix6(address, prefix);
    if (ip.routes6.find(network, prefix, iface.index, null) === null) {
      ip.routes6.add({ network, prefix, gateway: null, ifindex: iface.index, metric: METRIC_CONNECTED, origin: 'kernel' });
    }
  }
  v6.mld.join(solicitedNode6(a.address));
  startDad(ip, iface, a);
  scheduleLifetimes(ip, iface);
  return a;
}

/** Removes an address: stops its DAD, leaves its solicited-node group, drops its connected route. Returns false if absent. */
export function removeIpv6Address(ip: IpStack, iface: NetInterface, address: IPv6Address): boolean {
  const i = iface.ipv6.findIndex((a) => equal6(a.address, address));
  if (i < 0) return false;
  const a = iface.ipv6[i]!;
  iface.ipv6.splice(i, 1);
  stopDad(ip, iface, a);
  // A duplicate left its group already (dad.ts).
  if (a.state !== 'duplicate') iface.v6?.mld.leave(solicitedNode6(a.address));
  if (a.origin === 'static' && a.prefix < 128) {
    const stillCovered = iface.ipv6.some((b) => b.origin === 'static' && b.prefix === a.prefix && prefixMatch6(b.address, a.address, a.prefix));
    if (!stillCovered && !(isLinkLocal6(a.address) && a.prefix === 64)) ip.routes6.remove(a.address, a.prefix, iface.index, null);
  }
  scheduleLifetimes(ip, iface);
  return true;
}

/**
 * An address finished DAD (or needed none). The link-local address going
 * live starts router solicitation (RFC 4861 §6.3.7: the RS should come from
 * it) and re-sends the MLD reports made from :: during DAD (RFC 3810 §5.2.13).
 */
export function addressBecameUsable(ip: IpStack, iface: NetInterface, a: Ipv6Assignment): void {
  const v6 = iface.v6;
  if (v6 === null) return;
  if (!isLinkLocal6(a.address)) return;
  if (v6.usesNd && v6.config.dadTransmits > 0) v6.mld.reportAll();
  startRouterSolicitation(ip, iface);
}

/**
 * Applies every lifetime that has run out (RFC 4862 §5.5.4 for addresses:
 * preferred → deprecated, valid → removed; RFC 4861 §6.3.5 for prefixes and
 * routers) and arms the interface timer for the next one.
 */
export function scheduleLifetimes(ip: IpStack, iface: NetInterface): void {
  const v6 = iface.v6;
  if (v6 === null) return;
  const now = ip.ctx.clock.now();
  let next = Infinity;
  for (const a of iface.ipv6.slice()) {
    if (a.validUntil <= now) {
      removeIpv6Address(ip, iface, a.address);
      continue;
    }
    if (a.state === 'preferred' && a.preferredUntil <= now) a.state = 'deprecated';
    next = Math.min(next, a.validUntil);
    if (a.state === 'preferred' || a.state === 'tentative') next = Math.min(next, a.preferredUntil);
  }
  for (const p of v6.prefixes.slice()) {
    if (p.expiresAt <= now) {
      removeOnLinkPrefix(ip, iface, p.prefix, p.length);
      continue;
    }
    next = Math.min(next, p.expiresAt);
  }
  for (const r of v6.routers.slice()) {
    if (r.expiresAt <= now) {
      removeDefaultRouter(ip, iface, r.address);
      continue;
    }
    next = Math.min(next, r.expiresAt);
  }
  if (next === Infinity) {
    if (v6.lifetimeTimer) ip.ctx.timers.disarm(v6.lifetimeTimer);
    return;
  }
  v6.lifetimeTimer ??= new Timer(() => scheduleLifetimes(ip, iface), 'ipv6-lifetimes');
  ip.ctx.timers.arm(v6.lifetimeTimer, next);
}

/** Removes an on-link prefix learned from an RA, with its route. */
export function removeOnLinkPrefix(ip: IpStack, iface: NetInterface, prefix: IPv6Address, length: number): void {
  const v6 = iface.v6;
  if (v6 === null) return;
  const i = v6.prefixes.findIndex((p) => p.length === length && prefixMatch6(p.prefix, prefix, length));
  if (i < 0) return;
  v6.prefixes.splice(i, 1);
  ip.routes6.remove(prefix, length, iface.index, null);
}

/** Stops every IPv6 timer of an interface and forgets its neighbours (stack shutdown). */
export function closeIpv6(ip: IpStack, iface: NetInterface): void {
  const v6 = iface.v6;
  if (v6 === null) return;
  for (const run of v6.dad.values()) ip.ctx.timers.disarm(run.timer);
  v6.dad.clear();
  if (v6.rsTimer) ip.ctx.timers.disarm(v6.rsTimer);
  if (v6.lifetimeTimer) ip.ctx.timers.disarm(v6.lifetimeTimer);
  v6.mld.close();
  v6.neighbors?.clear();
}
