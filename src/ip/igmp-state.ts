import type { IPv4Address } from '../core/address.js';
import { Timer } from '../core/scheduler.js';
import { IGMPV3_CHANGE_TO_EXCLUDE } from './igmp-header.js';
import type { IpStack } from './ip-layer.js';

/**
 * The state behind the IGMP host (src/ip/igmp.ts): membership reference
 * counts, configuration, and the per-interface and per-group protocol state.
 */

/**
 * Joins and leaves of multicast groups per interface, as the transports ask
 * for them (IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP). Calls are reference
 * counted: the interface is a member while any join is outstanding.
 */
export interface Ipv4MulticastMembership {
  join(ifindex: number, group: IPv4Address): void;
  leave(ifindex: number, group: IPv4Address): void;
}

/**
 * The membership bookkeeping alone: reference counts in each interface's
 * `ipv4Groups`, which IPv4 input consults. No IGMP is sent; the IgmpLayer
 * (igmp.ts) builds on it.
 */
export class Ipv4GroupRefcounts implements Ipv4MulticastMembership {
  constructor(private readonly ip: IpStack) {}

  /** Counts a join; true when it is the interface's first for the group. */
  join(ifindex: number, group: IPv4Address): boolean {
    const iface = this.ip.interfaceByIndex(ifindex);
    if (iface === undefined) return false;
    const n = iface.ipv4Groups.get(group) ?? 0;
    iface.ipv4Groups.set(group, n + 1);
    return n === 0;
  }

  /** Counts a leave; true when it was the last, and the interface stops receiving the group. */
  leave(ifindex: number, group: IPv4Address): boolean {
    const iface = this.ip.interfaceByIndex(ifindex);
    const n = iface?.ipv4Groups.get(group);
    if (iface === undefined || n === undefined) return false;
    if (n > 1) {
      iface.ipv4Groups.set(group, n - 1);
      return false;
    }
    iface.ipv4Groups.delete(group);
    return true;
  }
}

/** IGMP knobs (Linux sysctl names in comments). */
export interface IgmpConfig {
  /** net.ipv4.conf.*.force_igmp_version: 0 follows the querier (IGMPv3 until an older one is heard). */
  forceVersion: 0 | 1 | 2 | 3;
  /** Robustness Variable until a querier says otherwise (RFC 3376 §8.1; net.ipv4.igmp_qrv): 2. */
  robustness: number;
  /** Unsolicited Report Interval for v3: 1 s (RFC 3376 §8.11). */
  unsolicitedIntervalV3Us: number;
  /** Unsolicited Report Interval for v1/v2: 10 s (RFC 2236 §8.10). */
  unsolicitedIntervalV2Us: number;
  /** Query Interval default, 125 s (RFC 3376 §8.2), until a v3 querier's QQIC says otherwise. */
  queryIntervalUs: number;
  /** Query Response Interval default, 10 s (RFC 3376 §8.3). */
  queryResponseIntervalUs: number;
}

export const DEFAULT_IGMP_CONFIG: IgmpConfig = {
  forceVersion: 0,
  robustness: 2,
  unsolicitedIntervalV3Us: 1_000_000,
  unsolicitedIntervalV2Us: 10_000_000,
  queryIntervalUs: 125_000_000,
  queryResponseIntervalUs: 10_000_000,
};

/** What the IGMP layer counted (Linux has no SNMP counters for IGMP; these are tsip's own). */
export interface IgmpStats {
  v1ReportsSent: number;
  v2ReportsSent: number;
  v3ReportsSent: number;
  leavesSent: number;
  queriesReceived: number;
  reportsReceived: number;
  /** Malformed messages and queries ignored for their addressing. */
  inErrors: number;
}

/** A group's state on one interface. */
export class IgmpGroup {
  /** False for a v3 "tombstone" that only remains to retransmit its leave record. */
  member = true;
  /** v1/v2: unsolicited reports still to send; v3 group-specific query response. */
  readonly timer: Timer;
  unsolicitedLeft = 0;
  /** v2: we sent the last report, so we send the leave (RFC 2236 §3). */
  reporter = false;
  /** v3: retransmissions of the state-change record still due (RFC 3376 §5.1). */
  changeLeft = 0;
  changeType = IGMPV3_CHANGE_TO_EXCLUDE;
  /** v3: sources asked about by pending group-and-source-specific queries; null: the whole group. */
  queriedSources: IPv4Address[] | null = null;

  constructor(
    readonly group: IPv4Address,
    fire: (g: IgmpGroup) => void,
  ) {
    this.timer = new Timer(() => fire(this), 'igmp-group');
  }
}

/** IGMP state of one interface. */
export class IgmpInterface {
  readonly groups = new Map<IPv4Address, IgmpGroup>();
  /** Older Version Querier Present timers (RFC 3376 §7.2.1), as deadlines in µs. */
  v1SeenUntil = -1;
  v2SeenUntil = -1;
  robustness: number;
  queryIntervalUs: number;
  /** v3: the answer to a general query (RFC 3376 §5.2 "interface timer"). */
  readonly generalTimer: Timer;
  /** v3: state-change report (re)transmission. */
  readonly changeTimer: Timer;

  constructor(
    readonly ifindex: number,
    config: IgmpConfig,
    onGeneral: (st: IgmpInterface) => void,
    onChange: (st: IgmpInterface) => void,
  ) {
    this.robustness = config.robustness;
    this.queryIntervalUs = config.queryIntervalUs;
    this.generalTimer = new Timer(() => onGeneral(this), 'igmp-general');
    this.changeTimer = new Timer(() => onChange(this), 'igmp-change');
  }
}
