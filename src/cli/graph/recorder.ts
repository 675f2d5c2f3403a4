import diagnostics_channel from 'node:diagnostics_channel';
import type { Clock } from '../../core/clock.js';
import { CHANNELS, type LinkTraceMessage } from '../../core/trace.js';
import { LinkDecorator, type Link, type LinkType } from '../../link/link.js';
import { pcapLinkTypeFor } from '../../link/pcap-format.js';
import { analyzePackets, type ConnectionGraph, type GraphSelection } from './analysis.js';
import { renderHtml } from './html.js';
import { tcpPacketInfo, type TcpPacketInfo } from './segments.js';
import { renderSvg, type SvgOptions } from './svg.js';

/**
 * Time-sequence graphs of a running stack's own connections, without a
 * capture file: a recorder keeps the TCP numbers of the frames it is fed
 * (not the frames) and draws the same graphs as `tsip graph` on demand.
 * Feed it from a {@link TcpGraphTap} on a link, from the
 * `tsip:link:tx`/`tsip:link:rx` diagnostics channels ({@link TcpGraphRecorder.subscribe}),
 * or by calling {@link TcpGraphRecorder.record} yourself. It knows nothing
 * of the stack's internals: only frames and times.
 *
 * ```ts
 * const rec = new TcpGraphRecorder({ linkType: 'ip' });
 * const stop = rec.subscribe({ stack: stack.id });
 * // ... run traffic ...
 * stop();
 * writeFileSync('conn.svg', rec.svg());
 * ```
 */

/** Options of {@link TcpGraphRecorder}. */
export interface TcpGraphRecorderOptions {
  /** What the frames are: a link type or a pcap LINKTYPE number (default `'ip'`, raw IP). */
  linkType?: LinkType | number;
  /** Keep at most this many TCP segments; later ones are only counted in {@link TcpGraphRecorder.dropped} (default 1,000,000). */
  maxPackets?: number;
}

/** What {@link TcpGraphRecorder.subscribe} listens to. */
export interface TraceFilter {
  /** The stack's id (`stack.id`): channel messages carry it. */
  stack: string;
  /** Only frames of this interface (default: all of the stack's). */
  link?: string;
  /** Directions to record (default both). */
  tx?: boolean;
  rx?: boolean;
}

/** Keeps the TCP numbers of frames fed to it and draws time-sequence graphs of them on demand (see above). */
export class TcpGraphRecorder {
  /** The pcap LINKTYPE the frames are decoded as. */
  readonly pcapLinkType: number;
  private readonly maxPackets: number;
  private readonly packets: TcpPacketInfo[] = [];
  private frames = 0;
  /** TCP segments not kept because `maxPackets` was reached. */
  dropped = 0;

  constructor(options: TcpGraphRecorderOptions = {}) {
    const lt = options.linkType ?? 'ip';
    this.pcapLinkType = typeof lt === 'number' ? lt : pcapLinkTypeFor(lt);
    this.maxPackets = options.maxPackets ?? 1_000_000;
  }

  /** TCP segments recorded so far. */
  get size(): number {
    return this.packets.length;
  }

  /**
   * Notes one frame seen at `timeUs` (any clock, in µs). Frames without a
   * TCP segment are ignored; the frame is not kept, so it may be reused
   * after the call. Never throws on bad bytes.
   */
  record(frame: Uint8Array, timeUs: number): void {
    this.frames++;
    const info = tcpPacketInfo(frame, this.pcapLinkType, timeUs, this.frames);
    if (info === null) return;
    if (this.packets.length >= this.maxPackets) {
      this.dropped++;
      return;
    }
    this.packets.push(info);
  }

  /** Forgets everything recorded. */
  clear(): void {
    this.packets.length = 0;
    this.frames = 0;
    this.dropped = 0;
  }

  /** The analysis of what was recorded (see {@link analyzePackets}). */
  analyze(selection: GraphSelection = {}): ConnectionGraph[] {
    return analyzePackets(this.packets, selection);
  }

  /** The graphs as an SVG document. */
  svg(selection: GraphSelection = {}, options: SvgOptions = {}): string {
    return renderSvg(this.analyze(selection), options);
  }

  /** The graphs as an HTML page with pan and zoom. */
  html(selection: GraphSelection = {}, options: SvgOptions = {}): string {
    return renderHtml(this.analyze(selection), options);
  }

  /**
   * Records the frames a stack publishes on the `tsip:link:tx` and
   * `tsip:link:rx` diagnostics channels (the frames must be of this
   * recorder's link type). Returns the function that unsubscribes.
   */
  subscribe(filter: TraceFilter): () => void {
    const onMessage = (message: unknown): void => {
      const m = message as Partial<LinkTraceMessage> | null;
      if (m === null || typeof m !== 'object' || m.stack !== filter.stack) return;
      if (filter.link !== undefined && m.link !== filter.link) return;
      if (m.frame instanceof Uint8Array && typeof m.time === 'number') this.record(m.frame, m.time);
    };
    const names: string[] = [];
    if (filter.tx ?? true) names.push(CHANNELS.linkTx);
    if (filter.rx ?? true) names.push(CHANNELS.linkRx);
    for (const n of names) diagnostics_channel.subscribe(n, onMessage);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      for (const n of names) diagnostics_channel.unsubscribe(n, onMessage);
    };
  }
}

/**
 * A link decorator that feeds every frame crossing it (both directions) to
 * a {@link TcpGraphRecorder}, stamped with `clock`: the graph counterpart of
 * a PcapTap.
 */
export class TcpGraphTap extends LinkDecorator {
  constructor(
    inner: Link,
    readonly recorder: TcpGraphRecorder,
    private readonly clock: Clock,
  ) {
    super(inner);
    if (recorder.pcapLinkType !== pcapLinkTypeFor(inner.linkType)) {
      throw new Error(`TcpGraphTap: recorder LINKTYPE ${recorder.pcapLinkType} does not fit ${inner.linkType} link ${inner.name}`);
    }
  }

  override send(frame: Uint8Array): void {
    this.recorder.record(frame, this.clock.now());
    this.inner.send(frame);
  }

  protected override deliver(frame: Uint8Array): void {
    this.recorder.record(frame, this.clock.now());
    this.receiver?.(frame);
  }
}
