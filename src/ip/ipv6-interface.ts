import type { IPv6Address } from '../core/address.js';
import { Timer } from '../core/scheduler.js';
import { DEFAULT_NEIGHBOR_CONFIG, type NeighborCache, type NeighborConfig } from '../link/neighbor-cache.js';
import type { Ipv6Assignment } from './interface.js';
import type { MldHost } from './mld-host.js';

/**
 * Per-interface IPv6 knobs, named after Linux's
 * /proc/sys/net/ipv6/conf/IF/* entries (and the RFC constants they default to).
 */
export interface Ipv6InterfaceConfig {
  /** dad_transmits (RFC 4862 §5.1 DupAddrDetectTransmits): NS probes before an address is usable; 0 disables DAD. Default 1. */
  dadTransmits: number;
  /** rtr_solicits (RFC 4861 §10 MAX_RTR_SOLICITATIONS): Router Solicitations sent at start; 0: none. Default 3. */
  routerSolicitations: number;
  /** rtr_solicit_interval (RTR_SOLICITATION_INTERVAL): between solicitations, µs. Default 4 s. */
  routerSolicitationIntervalUs: number;
  /** rtr_solicit_delay (MAX_RTR_SOLICITATION_DELAY): most random delay before the first RS and the first DAD probe, µs. Default 1 s. */
  routerSolicitationDelayUs: number;
  /** accept_ra: process Router Advertisements (RFC 4861 §6.3.4). Default true. */
  acceptRa: boolean;
  /** autoconf: form addresses from advertised prefixes (RFC 4862 §5.5.3). Default true. */
  autoconf: boolean;
  /** hop_limit: default Hop Limit of unicast packets (RFC 8200 §3, AdvCurHopLimit may change it). Default 64. */
  hopLimit: number;
  /** Generate the link-local address when IPv6 starts (RFC 4862 §5.3). Default true. */
  linkLocal: boolean;
  /** Send MLD reports for joined groups (RFC 3810). Default true. */
  mldReports: boolean;
  /** mldv2_unsolicited_report_interval (RFC 3810 §9.11): µs. Default 1 s. */
  mldUnsolicitedReportIntervalUs: number;
  /** MLD Robustness Variable (RFC 3810 §9.1): a state change is reported this many times. Default 2. */
  mldRobustness: number;
  /** Neighbour cache timing (RFC 4861 §10 defaults: ReachableTime 30 s, RetransTimer 1 s, 3 probes). */
  neighbor: NeighborConfig;
}

/** The defaults Linux and RFC 4861 §10 / RFC 4862 §5.1 / RFC 3810 §9 give. */
export function defaultIpv6InterfaceConfig(): Ipv6InterfaceConfig {
  return {
    dadTransmits: 1,
    routerSolicitations: 3,
    routerSolicitationIntervalUs: 4_000_000,
    routerSolicitationDelayUs: 1_000_000,
    acceptRa: true,
    autoconf: true,
    hopLimit: 64,
    linkLocal: true,
    mldReports: true,
    mldUnsolicitedReportIntervalUs: 1_000_000,
    mldRobustness: 2,
    // RFC 4861 §10 constants, as ARP's cache uses them.
    neighbor: { ...DEFAULT_NEIGHBOR_CONFIG },
  };
}

/** An entry of the Default Router List (RFC 4861 §5.1). */
export interface DefaultRouter {
  readonly address: IPv6Address;
  /** Router lifetime end on the stack clock, µs. */
  expiresAt: number;
}

/** An entry of the Prefix List (RFC 4861 §5.1): an on-link prefix learned from an RA. */
export interface OnLinkPrefix {
  readonly prefix: IPv6Address;
  readonly length: number;
  /** Valid lifetime end, µs (Infinity: forever). */
  expiresAt: number;
}

/** Duplicate address detection in progress for one address (RFC 4862 §5.4). */
export interface DadRun {
  readonly assignment: Ipv6Assignment;
  /** Probes still to send. */
  probesLeft: number;
  readonly timer: Timer;
}

/**
 * The IPv6 state of one interface: the variables RFC 4861 §6.3.2 keeps per
 * interface (CurHopLimit, BaseReachableTime, RetransTimer, LinkMTU), the
 * neighbour cache, the Default Router and Prefix Lists, MLD membership, and
 * the timers of DAD and router solicitation. Behaviour lives in the modules
 * that use it (ndp.ts, dad.ts, router-discovery.ts, addrconf.ts, mld-host.ts).
 */
export class Ipv6Interface {
  /** CurHopLimit (RFC 4861 §6.3.2). */
  hopLimit: number;
  /** LinkMTU for IPv6: the interface MTU, possibly lowered by an RA MTU option (RFC 4861 §6.3.4). */
  mtu: number;
  /** Whether the link does neighbour discovery (Ethernet) or not (TUN: Linux's IFF_NOARP). */
  readonly usesNd: boolean;
  /** Address resolution and NUD (RFC 4861 §7); null on links without ND. */
  neighbors: NeighborCache<string> | null = null;
  /** MLDv2 host state (RFC 3810); set when IPv6 is enabled. */
  mld!: MldHost;
  readonly routers: DefaultRouter[] = [];
  readonly prefixes: OnLinkPrefix[] = [];
  readonly dad = new Map<Ipv6Assignment, DadRun>();
  /** Router solicitations sent so far in this round. */
  rsSent = 0;
  /** True once an RA arrived: solicitations stop (RFC 4861 §6.3.7). */
  raReceived = false;
  rsTimer: Timer | null = null;
  /** One timer for every lifetime of addresses, prefixes and routers: armed to the earliest. */
  lifetimeTimer: Timer | null = null;
  /** Secret for stable interface identifiers (RFC 7217 secret_key), from the stack's randomness. */
  readonly iidSecret: Uint8Array;

  constructor(
    readonly config: Ipv6InterfaceConfig,
    linkMtu: number,
    usesNd: boolean,
    iidSecret: Uint8Array,
  ) {
    this.hopLimit = config.hopLimit;
    this.mtu = linkMtu;
    this.usesNd = usesNd;
    this.iidSecret = iidSecret;
  }
}
