import type { RandomSource } from '../core/random.js';
import { KeyedHasher } from '../core/siphash.js';
import type { IpAddress } from '../ip/types.js';
import { ipv4ViewOf, isMulticast, isV4MappedAddress, isWildcard, sameAddress, unmapV4 } from './addresses.js';
import type { UdpEndpoint } from './udp-endpoint.js';

/**
 * The UDP endpoint table of one stack: port → endpoints, with Linux's bind
 * conflict rules (udp_lib_lport_inuse), SO_REUSEPORT groups
 * (net/core/sock_reuseport.c) and the scored lookup of __udp4_lib_lookup.
 *
 * The key is the port number alone (a Map with numeric keys: no strings on
 * the hot path); each port's list is short, and it is kept newest first,
 * as Linux adds IPv4 sockets at the head of its hash chain — which is why,
 * among SO_REUSEADDR endpoints of equal score, the last bound one wins.
 */
export class UdpPortTable {
  private readonly ports = new Map<number, UdpEndpoint[]>();
  private readonly hasher: KeyedHasher;

  constructor(random: RandomSource) {
    // Linux keys udp_ehashfn with a boot-time secret; ours comes from the stack's randomness.
    this.hasher = KeyedHasher.fromRandom(random);
  }

  /** The endpoints bound to `port`, newest first. */
  on(port: number): readonly UdpEndpoint[] | undefined {
    return this.ports.get(port);
  }

  /**
   * Would binding `ep` to `address:port` (with its current SO_REUSEADDR,
   * SO_REUSEPORT and SO_BINDTODEVICE) clash with an existing binding? Two
   * bindings clash when their addresses overlap (equal, or either is the
   * wildcard) and their devices overlap, unless both set SO_REUSEADDR or
   * both set SO_REUSEPORT (Linux udp_lib_lport_inuse).
   */
  inUse(ep: UdpEndpoint, address: IpAddress, port: number): boolean {
    const list = this.ports.get(port);
    if (list === undefined) return false;
    const o = ep.options;
    for (let i = 0; i < list.length; i++) {
      const other = list[i]!;
      if (other === ep) continue;
      const oo = other.options;
      if (oo.reuseAddr && o.reuseAddr) continue;
      if (oo.bindToDevice !== 0 && o.bindToDevice !== 0 && oo.bindToDevice !== o.bindToDevice) continue;
      if (other.family === ep.family) {
        if (!isWildcard(other.localAddress) && !isWildcard(address) && !sameAddress(other.localAddress, address)) continue;
      } else {
        // An AF_INET6 endpoint without IPV6_V6ONLY also holds the port for
        // IPv4 (Linux ipv6_rcv_saddr_equal / inet_rcv_saddr_equal): compare
        // what both addresses mean to IPv4.
        const mine = ipv4ViewOf(address, o.v6Only);
        const theirs = ipv4ViewOf(other.localAddress, oo.v6Only);
        if (mine === null || theirs === null) continue;
        if (mine !== 0 && theirs !== 0 && mine !== theirs) continue;
      }
      if (oo.reusePort && o.reusePort) continue;
      return true;
    }
    return false;
  }

  /** Adds a bound endpoint (newest first) and puts it in its SO_REUSEPORT group. */
  insert(ep: UdpEndpoint): void {
    let list = this.ports.get(ep.localPort);
    if (list === undefined) {
      list = [];
      this.ports.set(ep.localPort, list);
    }
    if (ep.options.reusePort) {
      // udp_reuseport_add_sock: join the group of an endpoint with the exact
      // same address and device that also set SO_REUSEPORT.
      for (const other of list) {
        if (
          other.reuseGroup !== null &&
          other.family === ep.family &&
          other.options.bindToDevice === ep.options.bindToDevice &&
          sameAddress(other.localAddress, ep.localAddress)
        ) {
          ep.reuseGroup = other.reuseGroup;
          break;
        }
      }
      ep.reuseGroup ??= new ReuseportGroup();
      ep.reuseGroup.members.push(ep);
    }
    list.unshift(ep);
  }

  /** Removes an endpoint from its port and its group. */
  remove(ep: UdpEndpoint): void {
    const list = this.ports.get(ep.localPort);
    if (list !== undefined) {
      const i = list.indexOf(ep);
      if (i !== -1) list.splice(i, 1);
      if (list.length === 0) this.ports.delete(ep.localPort);
    }
    const g = ep.reuseGroup;
    if (g !== null) {
      // reuseport_detach_sock: the last member takes the leaver's slot.
      const i = g.members.indexOf(ep);
      if (i !== -1) {
        g.members[i] = g.members[g.members.length - 1]!;
        g.members.pop();
      }
      ep.reuseGroup = null;
    }
  }

  /**
   * The endpoint a unicast datagram `src:sport → dst:dport` arriving on
   * `ifindex` belongs to, or null. Linux __udp4_lib_lookup: endpoints bound
   * to exactly `dst` first, the wildcard ones only if none matches; within
   * a pass the best score wins (a connected peer address +4, peer port +4,
   * a bound device +4), ties going to the newest. When the winner is in a
   * SO_REUSEPORT group, a member is picked by a keyed hash of the 4-tuple.
   * `ifindex` 0 skips the device check (ICMP error lookups).
   */
  lookup(src: IpAddress, sport: number, dst: IpAddress, dport: number, ifindex: number): UdpEndpoint | null {
    const list = this.ports.get(dport);
    if (list === undefined) return null;
    return this.pass(list, src, sport, dst, dport, ifindex, false) ?? this.pass(list, src, sport, dst, dport, ifindex, true);
  }

  private pass(
    list: readonly UdpEndpoint[],
    src: IpAddress,
    sport: number,
    dst: IpAddress,
    dport: number,
    ifindex: number,
    wildcard: boolean,
  ): UdpEndpoint | null {
    let result: UdpEndpoint | null = null;
    let best = 0;
    for (let i = 0; i < list.length; i++) {
      const ep = list[i]!;
      const score = scoreOf(ep, src, sport, dst, ifindex, wildcard);
      if (score <= best) continue;
      best = score;
      result = ep;
      if (ep.connected || ep.reuseGroup === null || !ep.options.reusePort) continue;
      const pick = selectByHash(ep.reuseGroup, this.hash(src, sport, dst, dport));
      if (pick === null) continue;
      result = pick;
      // Fall back to scoring when the group has connected members: a
      // connected member matching the 4-tuple still outscores the pick.
      if (!ep.reuseGroup.hasConnected()) return pick;
    }
    return result;
  }

  /** Keyed hash of a 4-tuple (Linux udp_ehashfn). */
  hash(src: IpAddress, sport: number, dst: IpAddress, dport: number): number {
    return this.hasher
      .reset()
      .address(dst)
      .address(src)
      .u32(((dport << 16) | sport) >>> 0)
      .digest32();
  }
}

/** Endpoints bound to one address and port with SO_REUSEPORT (Linux struct sock_reuseport). */
export class ReuseportGroup {
  /** Members in join order; a leaver's slot is taken by the last member. */
  readonly members: UdpEndpoint[] = [];

  /** Linux reuseport_has_conns. */
  hasConnected(): boolean {
    for (const m of this.members) if (m.connected) return true;
    return false;
  }
}

/**
 * reuseport_select_sock_by_hash: index = hash·n / 2^32 (reciprocal_scale),
 * probing forward past connected members, which are found by scoring instead.
 */
export function selectByHash(group: ReuseportGroup, hash: number): UdpEndpoint | null {
  const n = group.members.length;
  if (n === 0) return null;
  const start = Math.floor((hash * n) / 0x1_0000_0000);
  let i = start;
  do {
    const m = group.members[i]!;
    if (!m.connected) return m;
    i = i + 1 === n ? 0 : i + 1;
  } while (i !== start);
  return null;
}

/** Linux compute_score for a unicast lookup; -1 when `ep` cannot take the datagram. */
function scoreOf(ep: UdpEndpoint, src: IpAddress, sport: number, dst: IpAddress, ifindex: number, wildcard: boolean): number {
  let score = 2;
  if (typeof dst === 'number') {
    // An IPv4 datagram: IPv4 endpoints, and dual-stack IPv6 ones through
    // their IPv4 view, which score one less (Linux: PF_INET 2, PF_INET6 1).
    const local = ep.family === 4 ? (ep.localAddress as number) : ipv4ViewOf(ep.localAddress, ep.options.v6Only);
    if (local === null || (wildcard ? local !== 0 : local !== dst)) return -1;
    if (ep.family === 6) score = 1;
  } else {
    if (ep.family !== 6) return -1;
    if (wildcard ? !isWildcard(ep.localAddress) : !sameAddress(ep.localAddress, dst)) return -1;
  }
  if (ep.connected) {
    if (!isWildcard(ep.remoteAddress)) {
      if (!peerIs(ep.remoteAddress, src)) return -1;
      score += 4;
    }
    if (ep.remotePort !== 0) {
      if (ep.remotePort !== sport) return -1;
      score += 4;
    }
  }
  const dev = ep.options.bindToDevice;
  if (dev !== 0) {
    if (ifindex !== 0 && dev !== ifindex) return -1;
    score += 4;
  }
  return score;
}

/** Is the endpoint's peer address `peer` the datagram's source `src`? (A v4-mapped peer matches its IPv4 source.) */
function peerIs(peer: IpAddress, src: IpAddress): boolean {
  if (typeof src === 'number' && typeof peer !== 'number') return isV4MappedAddress(peer) && unmapV4(peer) === src;
  return sameAddress(peer, src);
}

/**
 * Linux __udp_is_mcast_sock + ip_mc_sf_allow: may `ep` take a broadcast or
 * multicast datagram `src:sport → dst` that arrived on `ifindex`? Every
 * endpoint that may, gets a copy. A dual-stack IPv6 endpoint takes IPv4
 * broadcast and multicast too, as in Linux.
 */
export function takesMulticast(ep: UdpEndpoint, src: IpAddress, sport: number, dst: IpAddress, ifindex: number): boolean {
  if (typeof dst === 'number') {
    const local = ep.family === 4 ? (ep.localAddress as number) : ipv4ViewOf(ep.localAddress, ep.options.v6Only);
    if (local === null || (local !== 0 && local !== dst)) return false;
  } else {
    if (ep.family !== 6) return false;
    if (!isWildcard(ep.localAddress) && !sameAddress(ep.localAddress, dst)) return false;
  }
  if (ep.connected) {
    if (!isWildcard(ep.remoteAddress) && !peerIs(ep.remoteAddress, src)) return false;
    if (ep.remotePort !== 0 && ep.remotePort !== sport) return false;
  }
  const dev = ep.options.bindToDevice;
  if (dev !== 0 && dev !== ifindex) return false;
  if (!isMulticast(dst)) return true;
  // A member of the group on that interface takes it; others only with
  // IP_MULTICAST_ALL / IPV6_MULTICAST_ALL (on by default in Linux: inet6_mc_check).
  return ep.isMember(dst, ifindex) || ep.options.mcAll;
}
