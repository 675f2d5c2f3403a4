import type { IPv6Address } from '../core/address.js';
import type { StackContext } from '../core/context.js';
import { SocketError } from '../core/errno.js';
import { isIpv6ControlType } from '../ip/ipv6-control.js';
import type { IpStack } from '../ip/ip-layer.js';
import { isLinkLocal6, isMulticast6, isUnspecified6, key6 } from '../ip/ipv6-address.js';
import { IPV6_HEADER_LEN, walkIpv6Extensions } from '../ip/ipv6-header.js';
import type { InboundIp } from '../ip/types.js';
import { icmpv6ErrorMeaning } from './icmpv6-errors.js';
import {
  buildIcmpv6Buffer,
  ICMPV6_DEST_UNREACH,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_ERROR_MAX_QUOTE,
  ICMPV6_MLD2_REPORT,
  ICMPV6_NEIGHBOR_ADVERT,
  ICMPV6_NEIGHBOR_SOLICIT,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_PARAM_PROBLEM,
  ICMPV6_REDIRECT,
  ICMPV6_ROUTER_ADVERT,
  ICMPV6_ROUTER_SOLICIT,
  ICMPV6_TIME_EXCEEDED,
  IPPROTO_ICMPV6,
  isIcmpv6Error,
  parseIcmpv6,
  type Icmpv6Spec,
  type Icmpv6Message,
} from './icmpv6-header.js';
import { PendingEchoes } from './pending-echoes.js';
import { DEFAULT_ICMP_RATE_LIMIT, IcmpRateLimiter, type IcmpRateLimitConfig } from './rate-limit.js';

export { IPPROTO_ICMPV6 };

/** An ICMPv6 echo reply, as `ping -6` reports it. */
export interface Echo6Reply {
  readonly from: IPv6Address;
  readonly identifier: number;
  readonly sequence: number;
  readonly data: Uint8Array;
  /** Hop limit as received. */
  readonly ttl: number;
  /** Round-trip time on the stack's clock, µs. */
  readonly rttUs: number;
}

/** Options for {@link Icmpv6Layer.echo}. */
export interface Echo6Options {
  identifier: number;
  sequence: number;
  data?: Uint8Array;
  /** Hop limit (default: the interface's, 1 for multicast). */
  ttl?: number;
  /** Give up after this long (µs); default 1 s. */
  timeoutUs?: number;
  /** Interface to send from (`ping -I`): needed for link-local destinations on multi-homed stacks. */
  ifindex?: number;
  /** Source address (`ping -I addr`). */
  src?: IPv6Address;
}

/** Observer of every valid inbound ICMPv6 message (the hook raw ICMPv6 sockets use). */
export type Icmpv6Observer = (ip: InboundIp, message: Icmpv6Message, raw: Uint8Array) => void;

/** Configuration of the ICMPv6 layer (Linux net.ipv6.icmp.* names in comments). */
export interface Icmpv6Config {
  /** echo_ignore_all. */
  echoIgnoreAll: boolean;
  /** echo_ignore_multicast (Linux default false: ping ff02::1 is answered). */
  echoIgnoreMulticast: boolean;
  /**
   * ratelimit and the global icmp_msgs_per_sec/burst. The per-host interval
   * shrinks for destinations behind shorter route prefixes, as Linux's
   * icmpv6_xrlim_allow does: interval >> ((128 - prefix length) >> 5).
   */
  rateLimit: IcmpRateLimitConfig;
  /**
   * ratemask: types that are rate limited. Linux's default is 0-1,3-127:
   * every error except Packet Too Big, which PMTU discovery depends on.
   */
  rateLimited: (type: number) => boolean;
}

/**
 * ICMPv6 (RFC 4443): answers echo requests, turns inbound errors into
 * reports for the transports (after the IP layer updated the path MTU for
 * Packet Too Big, RFC 8201), sends the errors the IP layer and transports
 * ask for — never where RFC 4443 §2.4 (e) forbids it, and rate limited per
 * §2.4 (f) — hands Neighbor Discovery and MLD to the IP layer's control
 * plane, and pings.
 */
export class Icmpv6Layer {
  readonly config: Icmpv6Config;
  /** Per-host limiters by interval shift (0..4), and one global bucket shared by all. */
  private readonly hostLimiters: IcmpRateLimiter[] = [];
  private readonly globalLimiter: IcmpRateLimiter;
  private readonly pending: PendingEchoes<Echo6Reply>;
  private readonly observers = new Set<Icmpv6Observer>();

  constructor(
    private readonly ctx: StackContext,
    private readonly ip: IpStack,
    config: Partial<Icmpv6Config> = {},
  ) {
    this.config = {
      echoIgnoreAll: config.echoIgnoreAll ?? false,
      echoIgnoreMulticast: config.echoIgnoreMulticast ?? false,
      rateLimit: config.rateLimit ?? DEFAULT_ICMP_RATE_LIMIT,
      rateLimited: config.rateLimited ?? ((type) => type < 128 && type !== ICMPV6_PACKET_TOO_BIG),
    };
    const rl = this.config.rateLimit;
    const now = ctx.clock.now();
    for (let shift = 0; shift <= 4; shift++) {
      this.hostLimiters.push(new IcmpRateLimiter({ ...rl, msgsPerSec: 0, perHostIntervalUs: rl.perHostIntervalUs / 2 ** shift }, now));
    }
    this.globalLimiter = new IcmpRateLimiter({ ...rl, perHostIntervalUs: 0 }, now);
    this.pending = new PendingEchoes<Echo6Reply>(ctx);
    ip.registerProtocol(IPPROTO_ICMPV6, (info, payload) => this.input(info, payload));
    ip.setIcmpv6ErrorSender((original, type, code, param, evenIfMulticast) =>
      this.sendError(original, type, code, param, evenIfMulticast),
    );
    ip.onClose(() => this.close());
  }

  /** Adds an observer of every valid inbound ICMPv6 message; returns a function that removes it. */
  observe(observer: Icmpv6Observer): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private input(info: InboundIp, payload: Uint8Array): void {
    const c = this.ctx.counters;
    if (info.family !== 6) return;
    const parsed = parseIcmpv6(payload, info.src as IPv6Address, info.dst as IPv6Address);
    if (!parsed.ok) {
      if (parsed.reason === 'icmp6-bad-checksum') c.Icmp6InCsumErrors++;
      c.Icmp6InErrors++;
      this.ctx.trace.dropped('icmp6', parsed.reason, info.packet);
      return;
    }
    const m = parsed.value;
    c.Icmp6InMsgs++;
    countIn(this.ctx, m.type);
    for (const o of this.observers) o(info, m, payload);
    if (m.type === ICMPV6_ECHO_REQUEST) return this.answerEcho(info, m);
    if (m.type === ICMPV6_ECHO_REPLY) return this.completeEcho(info, m);
    if (isIcmpv6Error(m.type)) return this.reportError(info, m);
    if (isIpv6ControlType(m.type)) return this.ip.ipv6ControlInput(info, m);
    // RFC 4443 §2.4 (b): unknown informational messages are silently discarded.
  }

  /**
   * RFC 4443 §4.2: the reply carries the request's identifier, sequence
   * and data; its source is the address the request went to, or for a
   * request to a group, one of ours chosen for the requester (§2.2).
   */
  private answerEcho(info: InboundIp, m: Icmpv6Message): void {
    const f = m.fields;
    if (f.kind !== 'echo-request' || this.config.echoIgnoreAll) return;
    if (info.dstKind !== 'unicast' && this.config.echoIgnoreMulticast) {
      this.ctx.trace.dropped('icmp6', 'echo-to-multicast-ignored', info.packet);
      return;
    }
    const c = this.ctx.counters;
    const dst = (info.src as IPv6Address).slice();
    const ifindex = isLinkLocal6(dst) ? info.ifindex : 0;
    let src: IPv6Address;
    if (info.dstKind === 'unicast') {
      src = (info.dst as IPv6Address).slice();
    } else {
      const r = this.ip.route6(dst, undefined, ifindex);
      if (typeof r === 'string') {
        c.Icmp6OutErrors++;
        return;
      }
      src = r.src as IPv6Address;
    }
    const pkt = buildIcmpv6Buffer({ kind: 'echo-reply', identifier: f.identifier, sequence: f.sequence, data: f.data }, src, dst);
    const result = this.ip.send({ dst, src, protocol: IPPROTO_ICMPV6, tos: info.tos, ...(ifindex !== 0 ? { ifindex } : {}) }, pkt);
    if (result === 'ok') {
      c.Icmp6OutMsgs++;
      c.Icmp6OutEchoReplies++;
    } else {
      c.Icmp6OutErrors++;
    }
  }

  private completeEcho(info: InboundIp, m: Icmpv6Message): void {
    const f = m.fields;
    if (f.kind !== 'echo-reply') return;
    this.pending.complete(PendingEchoes.key(f.identifier, f.sequence), (rttUs) => ({
      from: (info.src as IPv6Address).slice(),
      identifier: f.identifier,
      sequence: f.sequence,
      data: f.data.slice(),
      ttl: info.ttl,
      rttUs,
    }));
  }

  /**
   * Finds what the quoted packet was — its addresses and, through its
   * extension headers, its upper-layer protocol with at least 8 bytes of
   * that header (Linux's icmpv6_notify) — and tells the transport that sent
   * it (RFC 4443 §2.4 (b), (d)). Packet Too Big lowers the path MTU first.
   */
  private reportError(info: InboundIp, m: Icmpv6Message): void {
    const c = this.ctx.counters;
    const f = m.fields;
    const meaning = icmpv6ErrorMeaning(m.type, m.code);
    if (meaning === null || !('invoking' in f)) {
      // RFC 4443 §2.4 (b): unknown error types are for the upper layer; none of ours wants them.
      this.ctx.trace.dropped('icmp6', 'unknown-error-type', info.packet);
      return;
    }
    const q = f.invoking;
    if (q.length < IPV6_HEADER_LEN || q[0]! >>> 4 !== 6) {
      c.Icmp6InErrors++;
      this.ctx.trace.dropped('icmp6', 'quote-truncated', info.packet);
      return;
    }
    const w = walkIpv6Extensions(q, q[6]!, IPV6_HEADER_LEN, q.length);
    if (!w.ok || (w.value.fragment !== null && w.value.fragment.offset !== 0) || w.value.payloadOffset + 8 > q.length) {
      c.Icmp6InErrors++;
      this.ctx.trace.dropped('icmp6', 'quote-unusable', info.packet);
      return;
    }
    this.ip.deliverIcmpError({
      family: 6,
      kind: meaning.kind,
      type: m.type,
      code: m.code,
      mtu: f.kind === 'packet-too-big' ? f.mtu : 0,
      reporter: (info.src as IPv6Address).slice(),
      src: q.slice(8, 24),
      dst: q.slice(24, 40),
      protocol: w.value.protocol,
      quoted: q.subarray(w.value.payloadOffset),
      errno: meaning.errno,
    });
  }

  /**
   * Sends an error about `original`, unless RFC 4443 §2.4 (e) forbids one:
   * never about an ICMPv6 error or a Redirect (e.1, e.2), a packet sent to a
   * multicast address (e.3, e.4 — except Packet Too Big and option
   * Parameter Problems with action 10, `evenIfMulticast`), or one whose
   * source does not name a single node (e.5). Rate limited (f); the quote
   * is cut so that the error fits the minimum MTU (c).
   */
  sendError(original: InboundIp, type: number, code: number, param: number, evenIfMulticast = false): void {
    const c = this.ctx.counters;
    if (original.family !== 6) return;
    const packet = original.packet;
    if (packet.length < IPV6_HEADER_LEN) return;
    if (original.dstKind !== 'unicast' && !evenIfMulticast && type !== ICMPV6_PACKET_TOO_BIG) return;
    const src = packet.slice(8, 24);
    const dst = packet.subarray(24, 40);
    if (isUnspecified6(src) || isMulticast6(src)) return;
    if (this.quotesErrorOrRedirect(packet)) return;
    const ifindex = isLinkLocal6(src) ? original.ifindex : 0;
    // The error comes from the address the packet was sent to when it is ours, else one chosen for the source.
    let errSrc: IPv6Address;
    const r = this.ip.route6(src, undefined, ifindex);
    if (typeof r === 'string') {
      c.Icmp6OutErrors++;
      return;
    }
    if (!isMulticast6(dst) && this.ip.isLocalAddress(dst)) errSrc = dst.slice();
    else errSrc = r.src as IPv6Address;
    if (this.config.rateLimited(type) && !this.allow(src, this.ip.routes6.lookup(src, r.ifindex)?.prefix ?? 128)) return;
    const invoking = packet.subarray(0, Math.min(packet.length, ICMPV6_ERROR_MAX_QUOTE));
    // The spec is built whole (no spread of a fields object: this runs for every error sent).
    let spec: Icmpv6Spec;
    if (type === ICMPV6_PACKET_TOO_BIG) spec = { kind: 'packet-too-big', mtu: param, invoking, code };
    else if (type === ICMPV6_PARAM_PROBLEM) spec = { kind: 'param-problem', pointer: param, invoking, code };
    else if (type === ICMPV6_TIME_EXCEEDED) spec = { kind: 'time-exceeded', invoking, code };
    else spec = { kind: 'dest-unreachable', invoking, code };
    const pkt = buildIcmpv6Buffer(spec, errSrc, src);
    const result = this.ip.send({ dst: src, src: errSrc, protocol: IPPROTO_ICMPV6, ...(ifindex !== 0 ? { ifindex } : {}) }, pkt);
    if (result !== 'ok') {
      c.Icmp6OutErrors++;
      return;
    }
    c.Icmp6OutMsgs++;
    if (type === ICMPV6_DEST_UNREACH) c.Icmp6OutDestUnreachs++;
    else if (type === ICMPV6_PACKET_TOO_BIG) c.Icmp6OutPktTooBigs++;
    else if (type === ICMPV6_TIME_EXCEEDED) c.Icmp6OutTimeExcds++;
    else c.Icmp6OutParmProblems++;
  }

  /** RFC 4443 §2.4 (e.1, e.2); an ICMPv6 message whose type cannot be read counts as an error (Linux). */
  private quotesErrorOrRedirect(packet: Uint8Array): boolean {
    const w = walkIpv6Extensions(packet, packet[6]!, IPV6_HEADER_LEN, packet.length);
    if (!w.ok || w.value.protocol !== IPPROTO_ICMPV6) return false;
    if (w.value.fragment !== null && w.value.fragment.offset !== 0) return false;
    const type = packet[w.value.payloadOffset];
    return type === undefined || isIcmpv6Error(type) || type === ICMPV6_REDIRECT;
  }

  /** Linux's icmpv6_xrlim_allow: a per-host token bucket whose interval shrinks for wider routes, then the global one. */
  private allow(dst: IPv6Address, prefixLength: number): boolean {
    const now = this.ctx.clock.now();
    const shift = Math.min(4, (128 - prefixLength) >> 5);
    if (this.hostLimiters[shift]!.allow(key6(dst), now) !== 'ok') {
      this.ctx.counters.Icmp6OutRateLimitHost++;
      return false;
    }
    if (this.globalLimiter.allow(0, now) !== 'ok') {
      this.ctx.counters.IcmpOutRateLimitGlobal++;
      return false;
    }
    return true;
  }

  /**
   * Sends one echo request and resolves with the reply, or rejects with a
   * SocketError (`ETIMEDOUT`, or the routing error) — what `ping -6` does once.
   */
  echo(dst: IPv6Address, options: Echo6Options): Promise<Echo6Reply> {
    const ifindex = options.ifindex ?? 0;
    const r = this.ip.route6(dst, options.src, ifindex);
    if (typeof r === 'string') {
      if (r === 'ENETUNREACH') this.ctx.counters.Ip6OutNoRoutes++;
      return Promise.reject(new SocketError(r, 'echo'));
    }
    const src = r.src as IPv6Address;
    const pkt = buildIcmpv6Buffer(
      { kind: 'echo-request', identifier: options.identifier & 0xffff, sequence: options.sequence & 0xffff, data: options.data ?? new Uint8Array(0) },
      src,
      dst,
    );
    return this.pending.start(PendingEchoes.key(options.identifier, options.sequence), options.timeoutUs ?? 1_000_000, () => {
      const result = this.ip.send(
        {
          dst,
          src,
          protocol: IPPROTO_ICMPV6,
          ...(options.ttl !== undefined ? { ttl: options.ttl } : {}),
          ...(ifindex !== 0 ? { ifindex } : {}),
        },
        pkt,
      );
      if (result === 'ok') {
        this.ctx.counters.Icmp6OutMsgs++;
        this.ctx.counters.Icmp6OutEchos++;
      }
      return result;
    });
  }

  /** Rejects every outstanding echo with ECANCELED (the stack closes). Idempotent. */
  close(): void {
    this.pending.close();
  }
}

/** Icmp6In* per type (Linux's /proc/net/snmp6 names). */
function countIn(ctx: StackContext, type: number): void {
  const c = ctx.counters;
  switch (type) {
    case ICMPV6_DEST_UNREACH:
      c.Icmp6InDestUnreachs++;
      return;
    case ICMPV6_PACKET_TOO_BIG:
      c.Icmp6InPktTooBigs++;
      return;
    case ICMPV6_TIME_EXCEEDED:
      c.Icmp6InTimeExcds++;
      return;
    case ICMPV6_PARAM_PROBLEM:
      c.Icmp6InParmProblems++;
      return;
    case ICMPV6_ECHO_REQUEST:
      c.Icmp6InEchos++;
      return;
    case ICMPV6_ECHO_REPLY:
      c.Icmp6InEchoReplies++;
      return;
    case ICMPV6_ROUTER_SOLICIT:
      c.Icmp6InRouterSolicits++;
      return;
    case ICMPV6_ROUTER_ADVERT:
      c.Icmp6InRouterAdvertisements++;
      return;
    case ICMPV6_NEIGHBOR_SOLICIT:
      c.Icmp6InNeighborSolicits++;
      return;
    case ICMPV6_NEIGHBOR_ADVERT:
      c.Icmp6InNeighborAdvertisements++;
      return;
    case ICMPV6_REDIRECT:
      c.Icmp6InRedirects++;
      return;
    case ICMPV6_MLD2_REPORT:
      c.Icmp6InMLDv2Reports++;
      return;
    default:
      return;
  }
}
