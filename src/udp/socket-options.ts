import type { IPv4Address } from '../core/address.js';
import type { ErrnoCode } from '../core/errno.js';
import { DEFAULT_SOCKET_BUFFER, MIN_RCVBUF, MIN_SNDBUF, socketBufferSize } from './datagram-queue.js';

/**
 * Socket options common to the datagram endpoints (UDP, ping and raw ICMP),
 * named as the setsockopt constants are, with the values and validation
 * rules of Linux's sock_setsockopt() and do_ip_setsockopt().
 */

/** IP_MTU_DISCOVER modes (Linux IP_PMTUDISC_DONT / WANT / DO / PROBE). */
export type PmtuDiscovery = 'dont' | 'want' | 'do' | 'probe';

/** IP_MULTICAST_IF: an interface by index, or by one of its addresses; both 0 = "route it". */
export interface MulticastInterface {
  readonly ifindex: number;
  readonly address: IPv4Address;
}

/** Option name → value type. */
export interface DatagramOptionValues {
  /** Several endpoints may bind one address and port when all set it (unicast goes to the last bound). */
  SO_REUSEADDR: boolean;
  /** Endpoints that all set it form a group; unicast is spread across it by a hash of the 4-tuple. */
  SO_REUSEPORT: boolean;
  /** Permission to send to a broadcast address (EACCES without it). */
  SO_BROADCAST: boolean;
  /** Receive buffer in bytes; stored doubled and clamped, as Linux does. */
  SO_RCVBUF: number;
  /** Send buffer in bytes; stored doubled and clamped (sends here are synchronous: kept for getsockopt). */
  SO_SNDBUF: number;
  /** Interface index the endpoint is bound to (0: none). */
  SO_BINDTODEVICE: number;
  /** Unicast TTL, 1..255; -1 restores the default (64). Reads give the effective value. */
  IP_TTL: number;
  /** The TOS byte of outgoing datagrams. */
  IP_TOS: number;
  /** Multicast TTL, 0..255; -1 restores the default (1). */
  IP_MULTICAST_TTL: number;
  /** Loop our multicast back to local members (default on). */
  IP_MULTICAST_LOOP: boolean;
  /** Outgoing interface for multicast. */
  IP_MULTICAST_IF: MulticastInterface;
  /** Receive multicast for groups that other endpoints joined (default on, as Linux). */
  IP_MULTICAST_ALL: boolean;
  /** Path MTU discovery mode: sets the DF bit (default 'want'). */
  IP_MTU_DISCOVER: PmtuDiscovery;
  /** AF_INET6 only: refuse IPv4 (v4-mapped) traffic; settable before bind only (default off, as Linux's bindv6only). */
  IPV6_V6ONLY: boolean;
  /** Unicast hop limit, 0..255; -1 restores the route's default (64). */
  IPV6_UNICAST_HOPS: number;
  /** Multicast hop limit, 0..255; -1 restores the default (1). */
  IPV6_MULTICAST_HOPS: number;
  /** Loop our IPv6 multicast back to local members (default on). */
  IPV6_MULTICAST_LOOP: boolean;
  /** Outgoing interface index for IPv6 multicast (0: route it). */
  IPV6_MULTICAST_IF: number;
  /** Traffic class of outgoing datagrams, 0..255; -1 restores the default (0). */
  IPV6_TCLASS: number;
}

/** A datagram option name. */
export type DatagramOptionName = keyof DatagramOptionValues;

/** Linux net.ipv4.ip_default_ttl. */
export const DEFAULT_TTL = 64;

/** The option state of one endpoint. */
export class DatagramOptions {
  reuseAddr = false;
  reusePort = false;
  broadcast = false;
  rcvbuf = DEFAULT_SOCKET_BUFFER;
  sndbuf = DEFAULT_SOCKET_BUFFER;
  bindToDevice = 0;
  /** -1: the system default. */
  ttl = -1;
  tos = 0;
  mcTtl = 1;
  mcLoop = true;
  mcIfindex = 0;
  mcAddress: IPv4Address = 0;
  mcAll = true;
  pmtuDiscovery: PmtuDiscovery = 'want';
  v6Only = false;
  /** -1: the route's default. */
  hops6 = -1;
  mcHops6 = 1;
  mcLoop6 = true;
  mcIfindex6 = 0;
  tclass = 0;

  /** The TTL unicast datagrams go out with. */
  get unicastTtl(): number {
    return this.ttl < 0 ? DEFAULT_TTL : this.ttl;
  }

  /**
   * Sets an option that needs no knowledge of the stack (SO_BINDTODEVICE and
   * IP_MULTICAST_IF are validated by the endpoint against the interfaces
   * first). Returns 'ok' or the errno Linux gives.
   */
  set<K extends DatagramOptionName>(name: K, value: DatagramOptionValues[K]): 'ok' | ErrnoCode {
    const v = value as DatagramOptionValues[DatagramOptionName];
    switch (name) {
      case 'SO_REUSEADDR':
        this.reuseAddr = v === true;
        return 'ok';
      case 'SO_REUSEPORT':
        this.reusePort = v === true;
        return 'ok';
      case 'SO_BROADCAST':
        this.broadcast = v === true;
        return 'ok';
      case 'SO_RCVBUF':
        if (typeof v !== 'number' || !Number.isFinite(v)) return 'EINVAL';
        this.rcvbuf = socketBufferSize(v, MIN_RCVBUF);
        return 'ok';
      case 'SO_SNDBUF':
        if (typeof v !== 'number' || !Number.isFinite(v)) return 'EINVAL';
        this.sndbuf = socketBufferSize(v, MIN_SNDBUF);
        return 'ok';
      case 'SO_BINDTODEVICE':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return 'EINVAL';
        this.bindToDevice = v;
        return 'ok';
      case 'IP_TTL':
        // do_ip_setsockopt: -1 or 1..255.
        if (typeof v !== 'number' || !Number.isInteger(v) || (v !== -1 && (v < 1 || v > 255))) return 'EINVAL';
        this.ttl = v;
        return 'ok';
      case 'IP_TOS':
        if (typeof v !== 'number' || !Number.isInteger(v)) return 'EINVAL';
        this.tos = v & 0xff;
        return 'ok';
      case 'IP_MULTICAST_TTL': {
        if (typeof v !== 'number' || !Number.isInteger(v)) return 'EINVAL';
        const ttl = v === -1 ? 1 : v;
        if (ttl < 0 || ttl > 255) return 'EINVAL';
        this.mcTtl = ttl;
        return 'ok';
      }
      case 'IP_MULTICAST_LOOP':
        this.mcLoop = v === true;
        return 'ok';
      case 'IP_MULTICAST_IF': {
        if (typeof v !== 'object') return 'EINVAL';
        this.mcIfindex = v.ifindex;
        this.mcAddress = v.address >>> 0;
        return 'ok';
      }
      case 'IP_MULTICAST_ALL':
        this.mcAll = v === true;
        return 'ok';
      case 'IP_MTU_DISCOVER':
        if (v !== 'dont' && v !== 'want' && v !== 'do' && v !== 'probe') return 'EINVAL';
        this.pmtuDiscovery = v;
        return 'ok';
      case 'IPV6_V6ONLY':
        this.v6Only = v === true;
        return 'ok';
      case 'IPV6_UNICAST_HOPS':
      case 'IPV6_MULTICAST_HOPS':
      case 'IPV6_TCLASS': {
        // do_ipv6_setsockopt: -1 (the default) or 0..255.
        if (typeof v !== 'number' || !Number.isInteger(v) || v < -1 || v > 255) return 'EINVAL';
        if (name === 'IPV6_UNICAST_HOPS') this.hops6 = v;
        else if (name === 'IPV6_MULTICAST_HOPS') this.mcHops6 = v === -1 ? 1 : v;
        else this.tclass = v === -1 ? 0 : v;
        return 'ok';
      }
      case 'IPV6_MULTICAST_LOOP':
        this.mcLoop6 = v === true;
        return 'ok';
      case 'IPV6_MULTICAST_IF':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return 'EINVAL';
        this.mcIfindex6 = v;
        return 'ok';
      default:
        return 'ENOPROTOOPT';
    }
  }

  /** Reads an option as getsockopt reports it. */
  get<K extends DatagramOptionName>(name: K): DatagramOptionValues[K] {
    return this.read(name) as DatagramOptionValues[K];
  }

  private read(name: DatagramOptionName): DatagramOptionValues[DatagramOptionName] {
    switch (name) {
      case 'SO_REUSEADDR':
        return this.reuseAddr;
      case 'SO_REUSEPORT':
        return this.reusePort;
      case 'SO_BROADCAST':
        return this.broadcast;
      case 'SO_RCVBUF':
        return this.rcvbuf;
      case 'SO_SNDBUF':
        return this.sndbuf;
      case 'SO_BINDTODEVICE':
        return this.bindToDevice;
      case 'IP_TTL':
        return this.unicastTtl;
      case 'IP_TOS':
        return this.tos;
      case 'IP_MULTICAST_TTL':
        return this.mcTtl;
      case 'IP_MULTICAST_LOOP':
        return this.mcLoop;
      case 'IP_MULTICAST_IF':
        return { ifindex: this.mcIfindex, address: this.mcAddress };
      case 'IP_MULTICAST_ALL':
        return this.mcAll;
      case 'IP_MTU_DISCOVER':
        return this.pmtuDiscovery;
      case 'IPV6_V6ONLY':
        return this.v6Only;
      case 'IPV6_UNICAST_HOPS':
        return this.hops6 < 0 ? DEFAULT_TTL : this.hops6;
      case 'IPV6_MULTICAST_HOPS':
        return this.mcHops6;
      case 'IPV6_MULTICAST_LOOP':
        return this.mcLoop6;
      case 'IPV6_MULTICAST_IF':
        return this.mcIfindex6;
      case 'IPV6_TCLASS':
        return this.tclass;
    }
  }
}
