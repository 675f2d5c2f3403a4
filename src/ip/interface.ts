import { ipv4Mask, type IPv4Address, type IPv6Address } from '../core/address.js';
import type { EthernetMedium } from '../link/ethernet-medium.js';
import type { Link } from '../link/link.js';

/** An IPv4 address assigned to an interface. */
export interface Ipv4Assignment {
  readonly address: IPv4Address;
  readonly prefix: number;
  /** Directed broadcast address of the subnet (all host bits set); none for /31 and /32 (RFC 3021). */
  readonly broadcast: IPv4Address | null;
}

/** An IPv6 address assigned to an interface (filled in by the IPv6 layer). */
export interface Ipv6Assignment {
  readonly address: IPv6Address;
  readonly prefix: number;
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
}
