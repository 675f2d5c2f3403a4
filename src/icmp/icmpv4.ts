import { isIPv4Multicast, type IPv4Address } from '../core/address.js';
import type { StackContext } from '../core/context.js';
import { PacketBuffer } from '../core/packet-buffer.js';
import type { IpStack } from '../ip/ip-layer.js';
import { parseIpv4 } from '../ip/ipv4-header.js';
import type { InboundIp, LocalIcmpError } from '../ip/types.js';
import { icmpv4ErrorMeaning, icmpv4TypeCodeFor } from './icmpv4-errors.js';
import {
  ICMPV4_DEST_UNREACH,
  ICMPV4_ECHO_REPLY,
  ICMPV4_ECHO_REQUEST,
  ICMPV4_HEADER_LEN,
  ICMPV4_PARAM_PROBLEM,
  ICMPV4_TIME_EXCEEDED,
  icmpv4EchoRest,
  icmpv4ErrorSpec,
  isIcmpv4Error,
  parseIcmpv4,
  parseIcmpv4Quote,
  writeIcmpv4Header,
  writeIcmpv4HeaderAt,
  type Icmpv4Message,
} from './icmpv4-header.js';
import { PendingEchoes } from './pending-echoes.js';
import { DEFAULT_ICMP_RATE_LIMIT, IcmpRateLimiter, type IcmpRateLimitConfig } from './rate-limit.js';

export const IPPROTO_ICMP = 1;

/** An echo reply, as `ping` reports it. */
export interface EchoReply {
  readonly from: IPv4Address;
  readonly identifier: number;
  readonly sequence: number;
  readonly data: Uint8Array;
  readonly ttl: number;
  /** Round-trip time on the stack's clock, µs. */
  readonly rttUs: number;
}

/** Options for {@link Icmpv4Layer.echo}. */
export interface EchoOptions {
  identifier: number;
  sequence: number;
  data?: Uint8Array;
  ttl?: number;
  /** Give up after this long (µs); default 1 s. */
  timeoutUs?: number;
}

/** Observer of every ICMP message that arrives (the hook raw ICMP sockets use). */
export type Icmpv4Observer = (ip: InboundIp, message: Icmpv4Message, raw: Uint8Array) => void;

/** Configuration of the ICMPv4 layer (Linux sysctl names in comments). */
export interface Icmpv4Config {
  /** net.ipv4.icmp_echo_ignore_broadcasts (default true, as Linux). */
  echoIgnoreBroadcasts: boolean;
  /** net.ipv4.icmp_echo_ignore_all. */
  echoIgnoreAll: boolean;
  rateLimit: IcmpRateLimitConfig;
}

/**
 * ICMPv4 (RFC 792, RFC 1122 §3.2.2): answers echo requests, turns inbound
 * errors into reports for the transports, sends the errors the IP layer and
 * transports ask for — never where RFC 1122 forbids it — and pings.
 */
export class Icmpv4Layer {
  readonly config: Icmpv4Config;
  private readonly limiter: IcmpRateLimiter;
  private readonly pending: PendingEchoes<EchoReply>;
  private readonly observers = new Set<Icmpv4Observer>();

  constructor(
    private readonly ctx: StackContext,
    private readonly ip: IpStack,
    config: Partial<Icmpv4Config> = {},
  ) {
    this.config = {
      echoIgnoreBroadcasts: config.echoIgnoreBroadcasts ?? true,
      echoIgnoreAll: config.echoIgnoreAll ?? false,
      rateLimit: config.rateLimit ?? DEFAULT_ICMP_RATE_LIMIT,
    };
    this.limiter = new IcmpRateLimiter(this.config.rateLimit, ctx.clock.now());
    this.pending = new PendingEchoes<EchoReply>(ctx);
    ip.registerProtocol(IPPROTO_ICMP, (info, payload) => this.input(info, payload));
    ip.setIcmpErrorSender((original, error, param) => this.sendError(original, error, param));
  }

  /** Adds an observer of every valid inbound ICMP message; returns a function that removes it. */
  observe(observer: Icmpv4Observer): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private input(info: InboundIp, payload: Uint8Array): void {
    const c = this.ctx.counters;
    const parsed = parseIcmpv4(payload);
    if (!parsed.ok) {
      if (parsed.reason === 'icmpv4-bad-checksum') c.IcmpInCsumErrors++;
      c.IcmpInErrors++;
      this.ctx.trace.dropped('icmp', parsed.reason, info.packet);
      return;
    }
    const m = parsed.value;
    c.IcmpInMsgs++;
    for (const o of this.observers) o(info, m, payload);
    switch (m.type) {
      case ICMPV4_ECHO_REQUEST:
        c.IcmpInEchos++;
        this.answerEcho(info, m, payload);
        return;
      case ICMPV4_ECHO_REPLY:
        c.IcmpInEchoReps++;
        this.completeEcho(info, m);
        return;
      case ICMPV4_DEST_UNREACH:
        c.IcmpInDestUnreachs++;
        this.reportError(info, m);
        return;
      case ICMPV4_TIME_EXCEEDED:
        c.IcmpInTimeExcds++;
        this.reportError(info, m);
        return;
      case ICMPV4_PARAM_PROBLEM:
        c.IcmpInParmProbs++;
        this.reportError(info, m);
        return;
      default:
        // Other types (timestamps, redirects, router discovery) are accepted and ignored.
        return;
    }
  }

  /** RFC 1122 §3.2.2.6: the reply carries the request's data unchanged, from the address it was sent to. */
  private answerEcho(info: InboundIp, m: Icmpv4Message, raw: Uint8Array): void {
    if (this.config.echoIgnoreAll) return;
    if (info.dstKind !== 'unicast' && this.config.echoIgnoreBroadcasts) {
      this.ctx.trace.dropped('icmp', 'echo-to-broadcast-ignored', info.packet);
      return;
    }
    const c = this.ctx.counters;
    const pkt = PacketBuffer.alloc(raw.length);
    pkt.buf.set(raw, pkt.start);
    writeIcmpv4HeaderAt(pkt.buf, pkt.start, { type: ICMPV4_ECHO_REPLY, code: 0, rest: m.rest }, raw.length - ICMPV4_HEADER_LEN);
    // A reply to a broadcast ping comes from our address on that interface (RFC 1122 §3.2.2.6).
    const src = info.dstKind === 'unicast' ? (info.dst as number) : undefined;
    const opts = src === undefined ? { dst: info.src, protocol: IPPROTO_ICMP, tos: info.tos } : { dst: info.src, src, protocol: IPPROTO_ICMP, tos: info.tos };
    if (this.ip.send(opts, pkt) === 'ok') {
      c.IcmpOutMsgs++;
      c.IcmpOutEchoReps++;
    } else {
      c.IcmpOutErrors++;
    }
  }

  private completeEcho(info: InboundIp, m: Icmpv4Message): void {
    this.pending.complete(PendingEchoes.key(m.identifier, m.sequence), (rttUs) => ({
      from: info.src as number,
      identifier: m.identifier,
      sequence: m.sequence,
      data: m.body.slice(),
      ttl: info.ttl,
      rttUs,
    }));
  }

  /** Parses the quoted datagram and tells the transport that sent it (RFC 1122 §3.2.2.1, RFC 5927). */
  private reportError(info: InboundIp, m: Icmpv4Message): void {
    const meaning = icmpv4ErrorMeaning(m.type, m.code);
    const quote = parseIcmpv4Quote(m.body);
    if (meaning === null || !quote.ok) {
      this.ctx.counters.IcmpInErrors++;
      this.ctx.trace.dropped('icmp', quote.ok ? 'unknown-error-type' : quote.reason, info.packet);
      return;
    }
    const q = quote.value;
    this.ip.deliverIcmpError({
      family: 4,
      kind: meaning.kind,
      type: m.type,
      code: m.code,
      mtu: meaning.kind === 'frag-needed' ? m.mtu : 0,
      reporter: info.src,
      src: q.src,
      dst: q.dst,
      protocol: q.protocol,
      quoted: q.transport,
      errno: meaning.errno,
    });
  }

  /**
   * Sends an error about `original`, unless RFC 1122 §3.2.2 forbids one:
   * never about an ICMP error, a datagram to a broadcast or multicast
   * address, a non-initial fragment, or a datagram whose source does not
   * name a single host. Rate limited per destination and globally.
   */
  sendError(original: InboundIp, error: LocalIcmpError, param = 0): void {
    const c = this.ctx.counters;
    const packet = original.packet;
    if (original.dstKind !== 'unicast') return;
    const h = parseIpv4(packet, false);
    if (!h.ok) return;
    const hv = h.value;
    if (hv.fragmentOffset !== 0) return;
    const src = hv.src;
    if (src === 0 || src === 0xffffffff || isIPv4Multicast(src) || src >>> 24 === 127 || src >>> 28 === 0xf) return;
    if (hv.protocol === IPPROTO_ICMP) {
      const inner = hv.payload;
      // An ICMP message whose type we cannot read counts as an error: never answer it.
      if (inner.length < 1 || isIcmpv4Error(inner[0]!)) return;
    }
    const verdict = this.limiter.allow(src, this.ctx.clock.now());
    if (verdict !== 'ok') {
      if (verdict === 'global') c.IcmpOutRateLimitGlobal++;
      else c.IcmpOutRateLimitHost++;
      return;
    }
    const { type, code } = icmpv4TypeCodeFor(error);
    const spec = icmpv4ErrorSpec({
      type,
      code,
      original: packet,
      ...(type === ICMPV4_DEST_UNREACH ? { mtu: param } : {}),
      ...(type === ICMPV4_PARAM_PROBLEM ? { pointer: param } : {}),
    });
    const body = spec.body!;
    const pkt = PacketBuffer.alloc(body.length);
    pkt.buf.set(body, pkt.start);
    writeIcmpv4Header(pkt, spec);
    // The error comes from the address the offending datagram was sent to (RFC 1812 §4.3.2.4 for hosts too).
    const result = this.ip.send({ dst: src, src: hv.dst, protocol: IPPROTO_ICMP, tos: 0xc0 }, pkt);
    if (result !== 'ok') {
      c.IcmpOutErrors++;
      return;
    }
    c.IcmpOutMsgs++;
    if (type === ICMPV4_DEST_UNREACH) c.IcmpOutDestUnreachs++;
    else if (type === ICMPV4_TIME_EXCEEDED) c.IcmpOutTimeExcds++;
    else c.IcmpOutParmProbs++;
  }

  /**
   * Sends one echo request and resolves with the reply, or rejects with a
   * SocketError (`ETIMEDOUT`, or the routing error) — what `ping` does once.
   */
  echo(dst: IPv4Address, options: EchoOptions): Promise<EchoReply> {
    const data = options.data ?? new Uint8Array(0);
    const pkt = PacketBuffer.alloc(ICMPV4_HEADER_LEN + data.length);
    pkt.buf.set(data, pkt.start + ICMPV4_HEADER_LEN);
    writeIcmpv4HeaderAt(
      pkt.buf,
      pkt.start,
      { type: ICMPV4_ECHO_REQUEST, code: 0, rest: icmpv4EchoRest(options.identifier, options.sequence) },
      data.length,
    );
    return this.pending.start(PendingEchoes.key(options.identifier, options.sequence), options.timeoutUs ?? 1_000_000, () => {
      const result = this.ip.send({ dst, protocol: IPPROTO_ICMP, ...(options.ttl !== undefined ? { ttl: options.ttl } : {}) }, pkt);
      if (result === 'ok') {
        this.ctx.counters.IcmpOutMsgs++;
        this.ctx.counters.IcmpOutEchos++;
      }
      return result;
    });
  }

  /** Rejects every outstanding echo with ECANCELED (used when the stack closes). */
  close(): void {
    this.pending.close();
  }
}
