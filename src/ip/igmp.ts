import { isIPv4Multicast, type IPv4Address } from '../core/address.js';
import type { StackContext } from '../core/context.js';
import { randomBelow } from '../core/random.js';
import {
  IGMPV3_CHANGE_TO_EXCLUDE,
  IGMPV3_CHANGE_TO_INCLUDE,
  IGMPV3_MODE_IS_EXCLUDE,
  IGMPV3_MODE_IS_INCLUDE,
  igmpLength,
  igmpMaxResponseUs,
  igmpv3DecodeCode,
  IPPROTO_IGMP,
  parseIgmp,
  writeIgmpAt,
  type IgmpQuery,
  type IgmpRecordSpec,
  type IgmpSpec,
} from './igmp-header.js';
import {
  DEFAULT_IGMP_CONFIG,
  IgmpGroup,
  IgmpInterface,
  Ipv4GroupRefcounts,
  type IgmpConfig,
  type IgmpStats,
  type Ipv4MulticastMembership,
} from './igmp-state.js';
import type { IpStack } from './ip-layer.js';
import { ipv4HeaderLength, writeIpv4HeaderAt, type Ipv4Spec } from './ipv4-header.js';
import { routerAlertOption } from './ipv4-options.js';
import type { InboundIp } from './types.js';

export { DEFAULT_IGMP_CONFIG, Ipv4GroupRefcounts, type IgmpConfig, type IgmpStats, type Ipv4MulticastMembership } from './igmp-state.js';

/** 224.0.0.1: every host is a member, and never reports it (RFC 2236 §6, RFC 3376 §5). */
const ALL_HOSTS = 0xe0000001;
/** 224.0.0.2: where v2 leaves go (RFC 2236 §3). */
const ALL_ROUTERS = 0xe0000002;
/** 224.0.0.22: where v3 reports go (RFC 3376 §4.2.14). */
const IGMPV3_ROUTERS = 0xe0000016;

/**
 * The host side of IGMP (RFC 1112, RFC 2236, RFC 3376) for one stack,
 * registered as IP protocol 2. Joining a group makes the interface a member
 * and announces it; queries are answered after a random delay; leaving is
 * announced. IGMPv3 is spoken (as Linux does by default) until a v1 or v2
 * querier is heard, then that version for the Older Version Querier Present
 * Timeout. Reports go out with TTL 1, TOS 0xc0, DF, IP ID 0 and the Router
 * Alert option (RFC 2113), byte for byte as Linux sends them.
 */
export class IgmpLayer implements Ipv4MulticastMembership {
  readonly config: IgmpConfig;
  readonly stats: IgmpStats = {
    v1ReportsSent: 0,
    v2ReportsSent: 0,
    v3ReportsSent: 0,
    leavesSent: 0,
    queriesReceived: 0,
    reportsReceived: 0,
    inErrors: 0,
  };
  private readonly refs: Ipv4GroupRefcounts;
  private readonly interfaces = new Map<number, IgmpInterface>();
  private closed = false;

  constructor(
    private readonly ctx: StackContext,
    private readonly ip: IpStack,
    config: Partial<IgmpConfig> = {},
  ) {
    this.config = { ...DEFAULT_IGMP_CONFIG, ...config };
    this.refs = new Ipv4GroupRefcounts(ip);
    ip.registerProtocol(IPPROTO_IGMP, (info, payload) => this.input(info, payload));
  }

  /** The version spoken on an interface now (RFC 3376 §7.2.1 Host Compatibility Mode). */
  version(ifindex: number): 1 | 2 | 3 {
    return this.mode(this.state(ifindex));
  }

  /** Joins `group` on an interface; the first join announces it (RFC 3376 §5.1, RFC 2236 §3). */
  join(ifindex: number, group: IPv4Address): void {
    if (!this.refs.join(ifindex, group) || this.closed) return;
    const st = this.state(ifindex);
    let g = st.groups.get(group);
    if (g === undefined) {
      g = new IgmpGroup(group, (x) => this.onGroupTimer(st, x));
      st.groups.set(group, g);
    }
    g.member = true;
    g.queriedSources = null;
    if (group === ALL_HOSTS) return;
    if (this.mode(st) === 3) {
      g.changeType = IGMPV3_CHANGE_TO_EXCLUDE;
      g.changeLeft = st.robustness;
      this.ctx.timers.armIn(st.changeTimer, 0);
    } else {
      g.unsolicitedLeft = st.robustness;
      g.reporter = false;
      this.ctx.timers.armIn(g.timer, 0);
    }
  }

  /** Drops one join; the last one ends the membership and announces the leave. */
  leave(ifindex: number, group: IPv4Address): void {
    if (!this.refs.leave(ifindex, group) || this.closed) return;
    const st = this.state(ifindex);
    const g = st.groups.get(group);
    if (g === undefined) return;
    this.ctx.timers.disarm(g.timer);
    g.queriedSources = null;
    const mode = this.mode(st);
    if (group === ALL_HOSTS || mode !== 3) {
      // RFC 2236 §3: only the host that answered last need say it leaves; v1 has no leave.
      if (mode === 2 && g.reporter && group !== ALL_HOSTS) this.sendGroupMessage(st, { kind: 'leave', group }, ALL_ROUTERS);
      st.groups.delete(group);
      return;
    }
    g.member = false;
    g.changeType = IGMPV3_CHANGE_TO_INCLUDE;
    g.changeLeft = st.robustness;
    this.ctx.timers.armIn(st.changeTimer, 0);
  }

  /**
   * Stops every timer and forgets the protocol state. Afterwards joins and
   * leaves only keep the interfaces' group counts: endpoints closed while
   * the stack shuts down announce nothing.
   */
  close(): void {
    this.closed = true;
    for (const st of this.interfaces.values()) this.cancelAll(st);
    this.interfaces.clear();
  }

  // ---- input ---------------------------------------------------------------

  private input(info: InboundIp, payload: Uint8Array): void {
    if (this.closed) return;
    const parsed = parseIgmp(payload);
    if (!parsed.ok) {
      this.stats.inErrors++;
      this.ctx.trace.dropped('igmp', parsed.reason, info.packet);
      return;
    }
    const m = parsed.value;
    const st = this.state(info.ifindex);
    switch (m.kind) {
      case 'query':
        this.stats.queriesReceived++;
        this.heardQuery(st, info, m);
        return;
      case 'v1-report':
      case 'v2-report': {
        this.stats.reportsReceived++;
        // RFC 2236 §3: another member answered; ours would be redundant (v1/v2 only:
        // IGMPv3 has no report suppression).
        const g = st.groups.get(m.group);
        if (g !== undefined && g.member && this.mode(st) !== 3 && g.timer.armed) {
          this.ctx.timers.disarm(g.timer);
          g.reporter = false;
          g.unsolicitedLeft = 0;
        }
        return;
      }
      default:
        // Leaves and v3 reports are for routers.
        return;
    }
  }

  private heardQuery(st: IgmpInterface, info: InboundIp, q: IgmpQuery): void {
    const group = q.group;
    // RFC 3376 §9.1: general queries not sent to all-hosts are suspect; group queries name a group.
    if ((group === 0 && q.version !== 1 && info.dst !== ALL_HOSTS) || (group !== 0 && !isIPv4Multicast(group))) {
      this.stats.inErrors++;
      this.ctx.trace.dropped('igmp', 'igmp-bad-query-address', info.packet);
      return;
    }
    const now = this.ctx.clock.now();
    const before = this.mode(st);
    // RFC 3376 §8.12 Older Version Querier Present Timeout.
    const older = st.robustness * st.queryIntervalUs + this.config.queryResponseIntervalUs;
    if (q.version === 1) st.v1SeenUntil = now + older;
    else if (q.version === 2) st.v2SeenUntil = now + older;
    else {
      // RFC 3376 §4.1.6-7: adopt the querier's robustness and interval.
      if (q.qrv !== 0) st.robustness = q.qrv;
      if (q.qqic !== 0) st.queryIntervalUs = igmpv3DecodeCode(q.qqic) * 1_000_000;
    }
    const mode = this.mode(st);
    // RFC 3376 §7.2.1: falling back to an older version cancels pending v3 work.
    if (before === 3 && mode !== 3) this.cancelAll(st);
    const maxUs = igmpMaxResponseUs(q);

    if (mode !== 3) {
      // RFC 2236 §3: start (or shorten) a random report delay per queried group.
      for (const g of st.groups.values()) {
        if (!g.member || g.group === ALL_HOSTS || (group !== 0 && g.group !== group)) continue;
        if (g.timer.armed && g.timer.deadline - now < maxUs) continue;
        this.ctx.timers.arm(g.timer, now + this.randomDelay(maxUs));
      }
      return;
    }

    // IGMPv3, RFC 3376 §5.2.
    const at = now + this.randomDelay(maxUs);
    if (group === 0) {
      if (q.sources.length !== 0) return;
      // Rule 1: a pending general response due sooner already covers this one.
      if (st.generalTimer.armed && st.generalTimer.deadline <= at) return;
      this.ctx.timers.arm(st.generalTimer, at);
      return;
    }
    const g = st.groups.get(group);
    if (g === undefined || !g.member) return;
    // Rule 2: a general response due sooner covers the group.
    if (st.generalTimer.armed && st.generalTimer.deadline <= at) return;
    if (g.timer.armed) {
      // Rules 4-5: merge with the pending response; the earlier time wins.
      if (q.sources.length === 0 || g.queriedSources === null) g.queriedSources = null;
      else for (const s of q.sources) if (!g.queriedSources.includes(s)) g.queriedSources.push(s);
      if (at < g.timer.deadline) this.ctx.timers.arm(g.timer, at);
    } else {
      g.queriedSources = q.sources.length === 0 ? null : [...q.sources];
      this.ctx.timers.arm(g.timer, at);
    }
  }

  // ---- timers --------------------------------------------------------------

  private onGroupTimer(st: IgmpInterface, g: IgmpGroup): void {
    if (!g.member) return;
    const mode = this.mode(st);
    if (mode === 3) {
      // A group(-and-source)-specific query's answer: our filter is EXCLUDE {},
      // so asked-about sources are all IS_IN (RFC 3376 §5.2 table).
      const sources = g.queriedSources;
      g.queriedSources = null;
      this.sendV3(st, [
        sources === null
          ? { recordType: IGMPV3_MODE_IS_EXCLUDE, group: g.group }
          : { recordType: IGMPV3_MODE_IS_INCLUDE, group: g.group, sources },
      ]);
      return;
    }
    this.sendGroupMessage(st, { kind: mode === 1 ? 'v1-report' : 'v2-report', group: g.group }, g.group);
    g.reporter = true;
    if (g.unsolicitedLeft > 0 && --g.unsolicitedLeft > 0) {
      this.ctx.timers.armIn(g.timer, this.randomDelay(this.config.unsolicitedIntervalV2Us));
    }
  }

  /** RFC 3376 §5.1: send every pending state-change record; retransmit until each was sent Robustness times. */
  private onChangeTimer(st: IgmpInterface): void {
    if (this.mode(st) !== 3) return;
    const records: IgmpRecordSpec[] = [];
    let more = false;
    for (const g of st.groups.values()) {
      if (g.changeLeft === 0) continue;
      records.push({ recordType: g.changeType, group: g.group });
      g.changeLeft--;
      if (g.changeLeft > 0) more = true;
      else if (!g.member) st.groups.delete(g.group);
    }
    if (records.length > 0) this.sendV3(st, records);
    if (more) this.ctx.timers.armIn(st.changeTimer, this.randomDelay(this.config.unsolicitedIntervalV3Us));
  }

  /** RFC 3376 §5.2: the answer to a general query lists every group the interface is in. */
  private onGeneralTimer(st: IgmpInterface): void {
    if (this.mode(st) !== 3) return;
    const records: IgmpRecordSpec[] = [];
    for (const g of st.groups.values()) {
      if (g.member && g.group !== ALL_HOSTS) records.push({ recordType: IGMPV3_MODE_IS_EXCLUDE, group: g.group });
    }
    if (records.length > 0) this.sendV3(st, records);
  }

  // ---- output --------------------------------------------------------------

  /** Sends v3 reports holding `records`, as many as the MTU needs. */
  private sendV3(st: IgmpInterface, records: readonly IgmpRecordSpec[]): void {
    const iface = this.ip.interfaceByIndex(st.ifindex);
    if (iface === undefined) return;
    const room = iface.mtu - 24 - 8;
    let batch: IgmpRecordSpec[] = [];
    let size = 0;
    for (const r of records) {
      const n = 8 + 4 * (r.sources?.length ?? 0);
      if (batch.length > 0 && size + n > room) {
        this.transmit(st, { kind: 'v3-report', records: batch }, IGMPV3_ROUTERS);
        this.stats.v3ReportsSent++;
        batch = [];
        size = 0;
      }
      batch.push(r);
      size += n;
    }
    if (batch.length > 0) {
      this.transmit(st, { kind: 'v3-report', records: batch }, IGMPV3_ROUTERS);
      this.stats.v3ReportsSent++;
    }
  }

  private sendGroupMessage(st: IgmpInterface, spec: IgmpSpec & { kind: 'v1-report' | 'v2-report' | 'leave' }, dst: IPv4Address): void {
    this.transmit(st, spec, dst);
    if (spec.kind === 'leave') this.stats.leavesSent++;
    else if (spec.kind === 'v1-report') this.stats.v1ReportsSent++;
    else this.stats.v2ReportsSent++;
  }

  /**
   * Builds the whole datagram and hands it to the interface. IP output has
   * no way to add options yet, so IGMP writes its own IPv4 header (with
   * Router Alert) — as Linux's igmp_send_report and igmpv3_newpack do.
   */
  private transmit(st: IgmpInterface, spec: IgmpSpec, dst: IPv4Address): void {
    const iface = this.ip.interfaceByIndex(st.ifindex);
    if (iface === undefined || !iface.up) return;
    const ipSpec: Ipv4Spec = {
      // RFC 3376 §4.2.13 allows 0.0.0.0 from an interface with no address yet.
      src: iface.ipv4[0]?.address ?? 0,
      dst,
      protocol: IPPROTO_IGMP,
      ttl: 1,
      tos: 0xc0,
      df: true,
      id: 0,
      options: routerAlertOption(),
    };
    const hl = ipv4HeaderLength(ipSpec);
    const len = igmpLength(spec);
    const datagram = new Uint8Array(hl + len);
    writeIgmpAt(datagram, hl, spec);
    writeIpv4HeaderAt(datagram, 0, ipSpec, len);
    const c = this.ctx.counters;
    c.IpOutRequests++;
    c.IpExtOutOctets += datagram.length;
    this.ip.transmit(iface, datagram);
  }

  // ---- helpers -------------------------------------------------------------

  private state(ifindex: number): IgmpInterface {
    let st = this.interfaces.get(ifindex);
    if (st === undefined) {
      st = new IgmpInterface(
        ifindex,
        this.config,
        (s) => this.onGeneralTimer(s),
        (s) => this.onChangeTimer(s),
      );
      this.interfaces.set(ifindex, st);
    }
    return st;
  }

  private mode(st: IgmpInterface): 1 | 2 | 3 {
    if (this.config.forceVersion !== 0) return this.config.forceVersion;
    const now = this.ctx.clock.now();
    if (now < st.v1SeenUntil) return 1;
    if (now < st.v2SeenUntil) return 2;
    return 3;
  }

  /** A delay chosen uniformly in [0, maxUs) from the stack's randomness. */
  private randomDelay(maxUs: number): number {
    return maxUs <= 0 ? 0 : randomBelow(this.ctx.random, Math.min(Math.floor(maxUs), 0xffffffff));
  }

  private cancelAll(st: IgmpInterface): void {
    const t = this.ctx.timers;
    t.disarm(st.generalTimer);
    t.disarm(st.changeTimer);
    for (const g of st.groups.values()) {
      t.disarm(g.timer);
      g.changeLeft = 0;
      g.queriedSources = null;
      if (!g.member) st.groups.delete(g.group);
    }
  }
}
