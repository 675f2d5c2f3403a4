import type { IPv6Address } from '../core/address.js';
import { randomBelow, randomUnit } from '../core/random.js';
import { Timer } from '../core/scheduler.js';
import {
  MLD_CHANGE_TO_EXCLUDE,
  MLD_CHANGE_TO_INCLUDE,
  MLD_MODE_IS_EXCLUDE,
  MLD_MODE_IS_INCLUDE,
  mldMaxResponseDelayMs,
  type Icmpv6Message,
  type MldRecord,
} from '../icmp/icmpv6-header.js';
import { isUsableIpv6, type NetInterface } from './interface.js';
import type { IpStack } from './ip-layer.js';
import {
  allMldv2Routers6,
  allRouters6,
  equal6,
  isAllNodes6,
  isLinkLocal6,
  isUnspecified6,
  key6,
  multicastScope6,
  SCOPE_LINK_LOCAL,
  unspecified6,
} from './ipv6-address.js';
import { sendIcmpv6Control } from './ipv6-control.js';
import { IPV6_OPT_ROUTER_ALERT, type Ipv6ExtensionSpec } from './ipv6-header.js';
import type { Ipv6Interface } from './ipv6-interface.js';
import type { InboundIp } from './types.js';

/** MLD messages go out with Hop Limit 1 (RFC 3810 §5, RFC 2710 §3). */
const MLD_HOP_LIMIT = 1;
/** Query Interval and Query Response Interval defaults (RFC 3810 §9.2, §9.3), for the v1-querier timeout. */
const QUERY_INTERVAL_US = 125_000_000;
const QUERY_RESPONSE_INTERVAL_US = 10_000_000;
/** A multicast address record without sources: type, aux len, count, address. */
const RECORD_LEN = 20;
/** IPv6 header, Hop-by-Hop header with the Router Alert, and the report's first 8 bytes. */
const REPORT_OVERHEAD = 40 + 8 + 8;

/**
 * The Hop-by-Hop header every MLD message carries: Router Alert with value
 * 0, "MLD message" (RFC 2711, RFC 3810 §5), padded with a 2-byte PadN — the
 * same 8 bytes Linux writes.
 */
function routerAlertHbh(): Ipv6ExtensionSpec[] {
  return [{ kind: 'hbh', options: [{ type: IPV6_OPT_ROUTER_ALERT, data: new Uint8Array(2) }] }];
}

interface Group {
  readonly address: IPv6Address;
  refs: number;
  /** False for ff02::1 and scopes 0 and 1: never reported (RFC 3810 §6). */
  readonly reportable: boolean;
}

interface PendingChange {
  readonly address: IPv6Address;
  recordType: number;
  /** Transmissions left (Robustness Variable in all, RFC 3810 §6.1). */
  left: number;
}

/**
 * The MLDv2 host side of one interface (RFC 3810 §6, §7 for the multicast
 * listener, with only any-source membership: every group is EXCLUDE {}).
 * It keeps the groups joined, reports changes in State Change Reports
 * (repeated Robustness times, RFC 3810 §6.1), answers General and
 * Multicast-Address-Specific Queries with Current State Reports after a
 * random delay (§6.2, §6.3), and falls back to MLDv1 (RFC 2710) while an
 * MLDv1 querier is present (§8.2.1).
 */
export class MldHost {
  private readonly groups = new Map<string, Group>();
  private readonly changes = new Map<string, PendingChange>();
  private readonly changeTimer: Timer;
  private readonly queryTimer: Timer;
  private generalQueryPending = false;
  /** Group-specific responses pending: key → queried sources (null: all). */
  private readonly groupQueries = new Map<string, IPv6Address[] | null>();
  /** MLDv1 compatibility mode ends here (µs), RFC 3810 §8.2.1. */
  private v1Until = -1;

  constructor(
    private readonly ip: IpStack,
    private readonly iface: NetInterface,
    private readonly v6: Ipv6Interface,
  ) {
    this.changeTimer = new Timer(() => this.sendChanges(), 'mld-change');
    this.queryTimer = new Timer(() => this.answerQueries(), 'mld-query');
  }

  /** True if the interface listens to `group` (ff02::1 always). */
  has(group: IPv6Address): boolean {
    if (isAllNodes6(group)) return true;
    return this.groups.size > 0 && this.groups.has(key6(group));
  }

  /** Groups joined, as `ip maddr` lists them. */
  list(): IPv6Address[] {
    return [...this.groups.values()].map((g) => g.address.slice());
  }

  /** True while an MLDv1 querier is present. */
  get v1Mode(): boolean {
    return this.ip.ctx.clock.now() < this.v1Until;
  }

  /** Joins `group` (counted: joined twice, left twice). Reports the change when it is new. */
  join(group: IPv6Address): void {
    const key = key6(group);
    const g = this.groups.get(key);
    if (g) {
      g.refs++;
      return;
    }
    const scope = multicastScope6(group);
    const reportable = !isAllNodes6(group) && scope >= SCOPE_LINK_LOCAL;
    this.groups.set(key, { address: group.slice(), refs: 1, reportable });
    if (reportable) this.queueChange(key, group, MLD_CHANGE_TO_EXCLUDE);
  }

  /** Leaves `group` once; when nobody is left listening, reports the change. */
  leave(group: IPv6Address): void {
    const key = key6(group);
    const g = this.groups.get(key);
    if (!g) return;
    if (--g.refs > 0) return;
    this.groups.delete(key);
    this.groupQueries.delete(key);
    if (g.reportable) this.queueChange(key, g.address, MLD_CHANGE_TO_INCLUDE);
  }

  /**
   * Reports every group again: called when the link-local address finishes
   * DAD, since reports sent meanwhile had to come from :: (RFC 3810
   * §5.2.13) and routers may ignore those. Linux does the same
   * (ipv6_mc_dad_complete).
   */
  reportAll(): void {
    for (const [key, g] of this.groups) if (g.reportable) this.queueChange(key, g.address, MLD_CHANGE_TO_EXCLUDE);
  }

  /** Handles a Multicast Listener Query (RFC 3810 §5.1, §6.2, §7.1 validity). */
  queryInput(info: InboundIp, msg: Icmpv6Message): void {
    const trace = this.ip.ctx.trace;
    const f = msg.fields;
    if (f.kind !== 'mld-query') return;
    // RFC 3810 §5.1.14: queries come from a link-local address; with hop limit 1 (§5).
    if (!isLinkLocal6(info.src as IPv6Address)) return trace.dropped('mld', 'query-source-not-link-local', info.packet);
    if (info.ttl !== MLD_HOP_LIMIT) return trace.dropped('mld', 'query-bad-hop-limit', info.packet);
    const now = this.ip.ctx.clock.now();
    let maxDelayUs: number;
    if (f.version === 1) {
      // RFC 3810 §8.2.1: Older Version Querier Present Timeout = Robustness × QI + QRI.
      this.v1Until = now + this.v6.config.mldRobustness * QUERY_INTERVAL_US + QUERY_RESPONSE_INTERVAL_US;
      maxDelayUs = f.maxResponseCode * 1000;
    } else {
      maxDelayUs = mldMaxResponseDelayMs(f.maxResponseCode) * 1000;
    }
    // The delay may exceed 2^32 µs (Maximum Response Code up to ~8388 s), so scale a random fraction.
    const at = now + Math.floor(randomUnit(this.ip.ctx.random) * maxDelayUs);
    const pendingAt = this.queryTimer.armed ? this.queryTimer.deadline : Infinity;
    // §6.2 rule 1: a General Query response due sooner covers this query.
    if (this.generalQueryPending && pendingAt <= at) return;
    if (isUnspecified6(f.multicastAddress)) {
      // §6.2 rule 2: a General Query restarts the interface timer.
      this.generalQueryPending = true;
      this.groupQueries.clear();
      this.ip.ctx.timers.arm(this.queryTimer, at);
      return;
    }
    const key = key6(f.multicastAddress);
    const g = this.groups.get(key);
    if (!g || !g.reportable) return;
    // §6.2 rule 3/4: remember the group (and merge queried sources); answer at the earlier time.
    const sources = f.version === 2 && f.sources.length > 0 ? f.sources.map((s) => s.slice()) : null;
    if (this.groupQueries.has(key)) {
      const prev = this.groupQueries.get(key)!;
      this.groupQueries.set(key, prev === null || sources === null ? null : mergeSources(prev, sources));
    } else {
      this.groupQueries.set(key, sources);
    }
    if (at < pendingAt) this.ip.ctx.timers.arm(this.queryTimer, at);
  }

  /** Stops the timers (interface going away). */
  close(): void {
    this.ip.ctx.timers.disarm(this.changeTimer);
    this.ip.ctx.timers.disarm(this.queryTimer);
    this.changes.clear();
    this.groupQueries.clear();
    this.generalQueryPending = false;
  }

  private queueChange(key: string, address: IPv6Address, recordType: number): void {
    if (!this.v6.config.mldReports) return;
    // A newer change replaces a pending one and restarts the retransmission count (RFC 3810 §6.1).
    this.changes.set(key, { address: address.slice(), recordType, left: Math.max(1, this.v6.config.mldRobustness) });
    // Batched: changes made in the same instant go out in one report (Linux's 1-jiffy ifc timer).
    const now = this.ip.ctx.clock.now();
    if (!this.changeTimer.armed || this.changeTimer.deadline > now) this.ip.ctx.timers.arm(this.changeTimer, now);
  }

  private sendChanges(): void {
    if (this.changes.size === 0) return;
    const records: MldRecord[] = [];
    for (const [key, ch] of this.changes) {
      if (this.v1Mode) {
        // MLDv1 has no state-change records: a Report to join, one Done to leave (RFC 2710 §4).
        this.sendV1(ch.recordType === MLD_CHANGE_TO_INCLUDE ? 'mld-done' : 'mld-report', ch.address);
        if (ch.recordType === MLD_CHANGE_TO_INCLUDE) ch.left = 1;
      } else {
        records.push({ recordType: ch.recordType, multicastAddress: ch.address, sources: [], auxData: new Uint8Array(0) });
      }
      if (--ch.left <= 0) this.changes.delete(key);
    }
    if (records.length > 0) this.sendV2(records);
    if (this.changes.size > 0) {
      // §6.1: retransmissions at random intervals within the Unsolicited Report Interval.
      const interval = this.v6.config.mldUnsolicitedReportIntervalUs;
      this.ip.ctx.timers.armIn(this.changeTimer, interval > 0 ? 1 + randomBelow(this.ip.ctx.random, interval) : 0);
    }
  }

  private answerQueries(): void {
    const general = this.generalQueryPending;
    this.generalQueryPending = false;
    const records: MldRecord[] = [];
    const add = (g: Group, sources: IPv6Address[] | null): void => {
      if (this.v1Mode) {
        this.sendV1('mld-report', g.address);
        return;
      }
      // §6.3: EXCLUDE {} answers a group query with IS_EX {}, a source query with IS_IN (queried sources).
      records.push({
        recordType: sources === null ? MLD_MODE_IS_EXCLUDE : MLD_MODE_IS_INCLUDE,
        multicastAddress: g.address,
        sources: sources ?? [],
        auxData: new Uint8Array(0),
      });
    };
    if (general) {
      for (const g of this.groups.values()) if (g.reportable) add(g, null);
    } else {
      for (const [key, sources] of this.groupQueries) {
        const g = this.groups.get(key);
        if (g && g.reportable) add(g, sources);
      }
    }
    this.groupQueries.clear();
    if (records.length > 0 && this.v6.config.mldReports) this.sendV2(records);
  }

  /** Sends MLDv2 Reports to ff02::16, split so that each fits the link MTU. */
  private sendV2(records: MldRecord[]): void {
    const perMessage = Math.max(1, Math.floor((this.v6.mtu - REPORT_OVERHEAD) / RECORD_LEN));
    for (let i = 0; i < records.length; i += perMessage) {
      sendIcmpv6Control(
        this.ip,
        this.iface,
        { kind: 'mld-v2-report', records: records.slice(i, i + perMessage) },
        { src: this.source(), dst: allMldv2Routers6(), hopLimit: MLD_HOP_LIMIT, extensions: routerAlertHbh() },
      );
    }
  }

  /** An MLDv1 Report (to the group) or Done (to ff02::2), RFC 2710 §3, §4. */
  private sendV1(kind: 'mld-report' | 'mld-done', group: IPv6Address): void {
    if (!this.v6.config.mldReports) return;
    sendIcmpv6Control(
      this.ip,
      this.iface,
      { kind, maxResponseDelay: 0, multicastAddress: group },
      {
        src: this.source(),
        dst: kind === 'mld-report' ? group.slice() : allRouters6(),
        hopLimit: MLD_HOP_LIMIT,
        extensions: routerAlertHbh(),
      },
    );
  }

  /** A usable link-local address, else :: while DAD runs (RFC 3810 §5.2.13). */
  private source(): IPv6Address {
    for (const a of this.iface.ipv6) if (isLinkLocal6(a.address) && isUsableIpv6(a)) return a.address.slice();
    return unspecified6();
  }
}

function mergeSources(a: IPv6Address[], b: IPv6Address[]): IPv6Address[] {
  const out = a.slice();
  for (const s of b) if (!out.some((x) => equal6(x, s))) out.push(s);
  return out;
}
