import { randomBelow } from '../core/random.js';
import { Timer } from '../core/scheduler.js';
import { addressBecameUsable } from './addrconf.js';
import type { Ipv6Assignment, NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import { solicitedNode6, unspecified6 } from './ipv6-address.js';
import type { DadRun } from './ipv6-interface.js';
import { sendNeighborSolicitation } from './ndp.js';

/**
 * Duplicate Address Detection (RFC 4862 §5.4). A new address starts
 * tentative: it is not used, and packets to it are discarded except
 * Neighbor Solicitations and Advertisements (§5.4). DupAddrDetectTransmits
 * solicitations from :: to its solicited-node group go out RetransTimer
 * apart, the first after a random delay of up to MAX_RTR_SOLICITATION_DELAY
 * (§5.4.2, as Linux's rtr_solicit_delay); when RetransTimer passes after
 * the last one with no conflict, the address becomes preferred.
 *
 * On links without neighbour discovery (TUN) DAD is skipped, as Linux skips
 * it for IFF_NOARP devices, and so it is when DupAddrDetectTransmits is 0.
 * Optimistic DAD (RFC 4429) is not implemented.
 */
export function startDad(ip: IpStack, iface: NetInterface, a: Ipv6Assignment): void {
  const v6 = iface.v6;
  if (v6 === null) return;
  if (!v6.usesNd || v6.config.dadTransmits <= 0) {
    finish(ip, iface, a);
    return;
  }
  a.state = 'tentative';
  const run: DadRun = { assignment: a, probesLeft: v6.config.dadTransmits, timer: new Timer(() => step(ip, iface, run), 'dad') };
  v6.dad.set(a, run);
  const maxDelay = v6.config.routerSolicitationDelayUs;
  ip.ctx.timers.armIn(run.timer, maxDelay > 0 ? randomBelow(ip.ctx.random, maxDelay) : 0);
}

function step(ip: IpStack, iface: NetInterface, run: DadRun): void {
  const v6 = iface.v6;
  if (v6 === null || v6.dad.get(run.assignment) !== run) return;
  if (run.probesLeft === 0) {
    v6.dad.delete(run.assignment);
    finish(ip, iface, run.assignment);
    return;
  }
  run.probesLeft--;
  // RFC 4862 §5.4.2: source ::, destination the solicited-node group, target the tentative address.
  sendNeighborSolicitation(ip, iface, run.assignment.address, unspecified6(), null);
  ip.ctx.timers.armIn(run.timer, v6.config.neighbor.retransUs);
}

function finish(ip: IpStack, iface: NetInterface, a: Ipv6Assignment): void {
  a.state = ip.ctx.clock.now() >= a.preferredUntil ? 'deprecated' : 'preferred';
  addressBecameUsable(ip, iface, a);
}

/**
 * Another node uses (or is probing for) our tentative address: it is a
 * duplicate and must not be assigned (RFC 4862 §5.4.5). It stays listed in
 * the `duplicate` state, as Linux keeps it flagged `dadfailed`, and its
 * solicited-node group is left.
 */
export function dadConflict(ip: IpStack, iface: NetInterface, a: Ipv6Assignment, how: 'ns' | 'na', packet: Uint8Array): void {
  const v6 = iface.v6;
  if (v6 === null || a.state !== 'tentative') return;
  const run = v6.dad.get(a);
  if (run) {
    ip.ctx.timers.disarm(run.timer);
    v6.dad.delete(a);
  }
  a.state = 'duplicate';
  ip.ctx.trace.dropped('ndp', how === 'ns' ? 'dad-conflict-solicitation' : 'dad-conflict-advertisement', packet);
  v6.mld.leave(solicitedNode6(a.address));
}

/** Stops DAD for an address being removed. */
export function stopDad(ip: IpStack, iface: NetInterface, a: Ipv6Assignment): void {
  const v6 = iface.v6;
  const run = v6?.dad.get(a);
  if (v6 && run) {
    ip.ctx.timers.disarm(run.timer);
    v6.dad.delete(a);
  }
}
