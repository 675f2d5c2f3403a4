import { ipv4Mask, type IPv4Address, type IPv6Address } from '../core/address.js';
import type { EthernetMedium } from '../link/ethernet-medium.js';
import type { Link } from '../link/link.js';
import { equal6 } from './ipv6-address.js';
import type { Ipv6Interface } from './ipv6-interface.js';

/** An IPv4 address assigned to an interface. */
export interface Ipv4Assignment {
  readonly address: IPv4Address;
  readonly prefix: number;
  /** Directed broadcast address of the subnet (all host bits set); none for /31 and /32 (RFC 3021). */
  readonly broadcast: IPv4Address | null;
}

/**
 * Life of an IPv6 address (RFC 4862 §2): `tentative` while duplicate address
 * detection runs (not usable, RFC 4862 §5.4), `preferred`, then `deprecated`
 * once its preferred lifetime ends (usable, but not chosen for new
 * communication, RFC 4862 §5.5.4), and `duplicate` when DAD failed (Linux's
 * `dadfailed`: kept for `ip addr` to show, never used).
 */
export type Ipv6AddressState = 'tentative' | 'preferred' | 'deprecated' | 'duplicate';

/** How an IPv6 address came to be: the link-local one, configured by hand, or SLAAC (RFC 4862 §5.5). */
export type Ipv6AddressOrigin = 'link-local' | 'static' | 'slaac';

/** An IPv6 address assigned to an interface (filled in by the IPv6 layer). */
export interface Ipv6Assignment {
  readonly address: IPv6Address;
  readonly prefix: number;
  readonly origin: Ipv6AddressOrigin;
  state: Ipv6AddressState;
  /** End of the valid lifetime on the stack clock, µs (Infinity: forever). */
  validUntil: number;
  /** End of the preferred lifetime, µs (Infinity: forever). */
  preferredUntil: number;
}

/** True when an address may be used as a source or accept packets (RFC 4862 §5.5.4). */
export function isUsableIpv6(a: Ipv6Assignment): boolean {
  return a.state === 'preferred' || a.state === 'deprecated';
}

/** One network interface of a stack: a link plus its addresses. */
export class NetInterface {
  readonly ipv4: Ipv4Assignment[] = [];
  readonly ipv6: Ipv6Assignment[] = [];
  /** IPv4 multicast groups joined on this interface (besides 224.0.0.1, always joined per RFC 1112). */
  readonly ipv4Groups = new Map<IPv4Address, number>();
  up = true;
  /** Ethernet framing and ARP, on `ethernet` links only. */
  medium: EthernetMedium | null = null;
  /** IPv6 state (ND, MLD, router and prefix lists), once IPv6 is enabled on the interface. */
  v6: Ipv6Interface | null = null;
  /**
   * Bumped whenever the IPv4 addresses change (through {@link addIpv4}: the
   * `ipv4` list is not to be edited directly), so that the IP layer's
   * route cache knows when to forget.
   */
  ipv4Version = 0;

  constructor(
    /** Stack-local index, starting at 1 (0 means "any"). */
    readonly index: number,
    readonly name: string,
    readonly link: Link,
    /** The IP MTU; at most the link's. */
    public mtu: number,
  ) {}

  /** Adds an IPv4 address; returns the assignment. */
  addIpv4(address: IPv4Address, prefix: number): Ipv4Assignment {
    const mask = ipv4Mask(prefix);
    const broadcast = prefix >= 31 ? null : ((address & mask) | ~mask) >>> 0;
    const a: Ipv4Assignment = { address, prefix, broadcast };
    this.ipv4.push(a);
    this.ipv4Version++;
    return a;
  }

  /** True if `addr` is one of this interface's IPv4 unicast addresses. */
  hasIpv4(addr: IPv4Address): boolean {
    for (const a of this.ipv4) if (a.address === addr) return true;
    return false;
  }

  /** True if `addr` is the directed broadcast of one of this interface's subnets. */
  isIpv4Broadcast(addr: IPv4Address): boolean {
    for (const a of this.ipv4) if (a.broadcast === addr) return true;
    return false;
  }

  /** The address on this interface in the same subnet as `peer`, else the first one, else null. */
  ipv4SourceFor(peer: IPv4Address): IPv4Address | null {
    for (const a of this.ipv4) {
      const m = ipv4Mask(a.prefix);
      if (((a.address ^ peer) & m) === 0) return a.address;
    }
    return this.ipv4[0]?.address ?? null;
  }

  /** True if `addr` is one of this interface's usable (not tentative, not duplicate) IPv6 addresses. */
  hasIpv6(addr: IPv6Address): boolean {
    for (const a of this.ipv6) if (isUsableIpv6(a) && equal6(a.address, addr)) return true;
    return false;
  }

  /** The assignment of `addr` on this interface, whatever its state. */
  ipv6AssignmentOf(addr: IPv6Address): Ipv6Assignment | undefined {
    for (const a of this.ipv6) if (equal6(a.address, addr)) return a;
    return undefined;
  }
}
