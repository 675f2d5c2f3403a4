import type { IPv6Address } from '../core/address.js';
import { randomBelow } from '../core/random.js';
import { Timer } from '../core/scheduler.js';
import { PREFIX_FLAG_ON_LINK, type Icmpv6Message, type NdpOption, type NdpPrefixInfoOption } from '../icmp/icmpv6-header.js';
import { lifetimeUs, METRIC_CONNECTED, METRIC_RA_DEFAULT, removeOnLinkPrefix, scheduleLifetimes } from './addrconf.js';
import { isUsableIpv6, type NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import { allRouters6, equal6, isLinkLocal6, key6, maskPrefix6, prefixMatch6, unspecified6 } from './ipv6-address.js';
import { sendIcmpv6Control } from './ipv6-control.js';
import { IPV6_MIN_MTU } from './ipv6-header.js';
import { slaacPrefixInput } from './slaac.js';
import type { InboundIp } from './types.js';

/** Router Discovery messages carry Hop Limit 255 (RFC 4861 §6.1). */
const ND_HOP_LIMIT = 255;

/**
 * Router and prefix discovery for a host (RFC 4861 §6.3): Router
 * Solicitations at start (§6.3.7), Router Advertisement processing into the
 * Default Router List, the Prefix List and the interface variables
 * (§6.3.4), and SLAAC from advertised prefixes (RFC 4862 §5.5).
 */

/**
 * Starts soliciting routers, unless RAs are not accepted, solicitations are
 * configured off, an RA has already arrived, or a round is running: up to
 * MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL apart, the first after a
 * random delay up to MAX_RTR_SOLICITATION_DELAY (§6.3.7).
 */
export function startRouterSolicitation(ip: IpStack, iface: NetInterface): void {
  const v6 = iface.v6;
  if (v6 === null) return;
  const cfg = v6.config;
  if (!cfg.acceptRa || cfg.routerSolicitations <= 0 || v6.raReceived) return;
  if (v6.rsTimer?.armed) return;
  v6.rsSent = 0;
  v6.rsTimer ??= new Timer(() => solicitationStep(ip, iface), 'rs');
  const delay = cfg.routerSolicitationDelayUs;
  ip.ctx.timers.armIn(v6.rsTimer, delay > 0 ? randomBelow(ip.ctx.random, delay) : 0);
}

function solicitationStep(ip: IpStack, iface: NetInterface): void {
  const v6 = iface.v6;
  if (v6 === null || v6.raReceived || v6.rsSent >= v6.config.routerSolicitations) return;
  sendRouterSolicitation(ip, iface);
  v6.rsSent++;
  if (v6.rsSent < v6.config.routerSolicitations) ip.ctx.timers.armIn(v6.rsTimer!, v6.config.routerSolicitationIntervalUs);
}

/**
 * A Router Solicitation to ff02::2 from our link-local address with our
 * link-layer address, or from :: without it (RFC 4861 §4.1, §6.3.7).
 */
export function sendRouterSolicitation(ip: IpStack, iface: NetInterface): boolean {
  let src: IPv6Address | null = null;
  for (const a of iface.ipv6) {
    if (isLinkLocal6(a.address) && isUsableIpv6(a)) {
      src = a.address.slice();
      break;
    }
  }
  const mac = iface.medium?.mac;
  const options: NdpOption[] = src !== null && mac !== undefined ? [{ kind: 'source-lla', address: mac }] : [];
  return sendIcmpv6Control(
    ip,
    iface,
    { kind: 'router-solicitation', options },
    { src: src ?? unspecified6(), dst: allRouters6(), hopLimit: ND_HOP_LIMIT },
  );
}

/** Validates (RFC 4861 §6.1.2) and processes (§6.3.4) a Router Advertisement. Never throws. */
export function routerAdvertisementInput(ip: IpStack, iface: NetInterface, info: InboundIp, msg: Icmpv6Message): void {
  const v6 = iface.v6;
  const trace = ip.ctx.trace;
  const f = msg.fields;
  if (v6 === null || f.kind !== 'router-advertisement') return;
  if (!v6.config.acceptRa) return trace.dropped('ndp', 'ra-not-accepted', info.packet);
  const src = info.src as IPv6Address;
  if (!isLinkLocal6(src)) return trace.dropped('ndp', 'ra-source-not-link-local', info.packet);
  if (info.ttl !== ND_HOP_LIMIT) return trace.dropped('ndp', 'bad-hop-limit', info.packet);
  if (msg.code !== 0) return trace.dropped('ndp', 'bad-code', info.packet);
  const now = ip.ctx.clock.now();
  // An RA ends solicitation (§6.3.7).
  v6.raReceived = true;
  if (v6.rsTimer) ip.ctx.timers.disarm(v6.rsTimer);
  // Interface variables: only non-zero (specified) values change them.
  if (f.curHopLimit !== 0) v6.hopLimit = f.curHopLimit;
  if (f.reachableTime !== 0) v6.config.neighbor.baseReachableUs = f.reachableTime * 1000;
  if (f.retransTimer !== 0) v6.config.neighbor.retransUs = f.retransTimer * 1000;
  // Default Router List (§6.3.4): lifetime 0 removes the router.
  const existing = v6.routers.find((r) => equal6(r.address, src));
  if (f.routerLifetime === 0) {
    if (existing) removeDefaultRouter(ip, iface, src);
  } else if (existing) {
    existing.expiresAt = now + f.routerLifetime * 1_000_000;
  } else {
    const address = src.slice();
    v6.routers.push({ address, expiresAt: now + f.routerLifetime * 1_000_000 });
    ip.routes6.add({ network: new Uint8Array(16), prefix: 0, gateway: address, ifindex: iface.index, metric: METRIC_RA_DEFAULT, origin: 'ra' });
  }
  for (const o of f.options) {
    switch (o.kind) {
      case 'source-lla':
        // Record the router's link-layer address, creating a STALE entry if needed.
        if (o.address.length === 6) v6.neighbors?.update(key6(src), o.address, false, true);
        break;
      case 'mtu':
        // An MTU below the minimum or above the link's is ignored (§6.3.4).
        if (o.mtu >= IPV6_MIN_MTU && o.mtu <= iface.mtu) v6.mtu = o.mtu;
        else trace.dropped('ndp', 'ra-bad-mtu', info.packet);
        break;
      case 'prefix-info':
        onLinkPrefixInput(ip, iface, o);
        slaacPrefixInput(ip, iface, o, info.packet);
        break;
      default:
        break;
    }
  }
  scheduleLifetimes(ip, iface);
}

/** The on-link part of a Prefix Information option (RFC 4861 §6.3.4). */
function onLinkPrefixInput(ip: IpStack, iface: NetInterface, o: NdpPrefixInfoOption): void {
  const v6 = iface.v6!;
  if ((o.flags & PREFIX_FLAG_ON_LINK) === 0 || isLinkLocal6(o.prefix) || o.prefixLength > 128) return;
  const now = ip.ctx.clock.now();
  const valid = lifetimeUs(o.validLifetime);
  const existing = v6.prefixes.find((p) => p.length === o.prefixLength && prefixMatch6(p.prefix, o.prefix, o.prefixLength));
  if (existing === undefined) {
    if (valid === 0) return;
    const prefix = maskPrefix6(o.prefix, o.prefixLength);
    v6.prefixes.push({ prefix, length: o.prefixLength, expiresAt: now + valid });
    if (ip.routes6.find(prefix, o.prefixLength, iface.index, null) === null) {
      ip.routes6.add({ network: prefix, prefix: o.prefixLength, gateway: null, ifindex: iface.index, metric: METRIC_CONNECTED, origin: 'ra' });
    }
    return;
  }
  // A zero valid lifetime times the prefix out at once.
  if (valid === 0) removeOnLinkPrefix(ip, iface, existing.prefix, existing.length);
  else existing.expiresAt = now + valid;
}

/** Removes a router from the Default Router List, with its default route. */
export function removeDefaultRouter(ip: IpStack, iface: NetInterface, address: IPv6Address): void {
  const v6 = iface.v6;
  if (v6 === null) return;
  const i = v6.routers.findIndex((r) => equal6(r.address, address));
  if (i < 0) return;
  v6.routers.splice(i, 1);
  ip.routes6.remove(new Uint8Array(16), 0, iface.index, address);
}
