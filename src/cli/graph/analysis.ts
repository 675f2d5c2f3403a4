import { MAX_WSCALE } from '../../tcp/options.js';
import { ACK, FIN, RST, SYN } from '../../tcp/header.js';
import type { PcapCapture } from '../../link/pcap-format.js';
import {
  canonicalEndpoint,
  connectionMatches,
  connectionName,
  groupConnections,
  parseConnectionName,
  type TcpConnectionPackets,
} from './connections.js';
import { tcpPacketInfo, type TcpPacketInfo } from './segments.js';

/**
 * The analysis behind a time-sequence graph (tcptrace's, or Wireshark's
 * "Stevens" graph): for one direction of a TCP connection, where each data
 * segment lies in sequence space and when it was sent, and how the other
 * end's cumulative ACK, advertised window and SACK blocks moved.
 *
 * Sequence numbers are made relative to the sender's ISN (the SYN is 0, the
 * first data byte 1) and unwrapped, so a transfer past 4 GiB stays a line.
 * Times are seconds since the connection's first captured segment.
 */

/** How a segment is drawn. */
export type SegmentKind = 'data' | 'retransmit' | 'zero-window-probe';

/** One segment of the data direction: sequence space [start, end) sent at time t. */
export interface GraphSegment {
  /** Seconds since the connection's first segment. */
  readonly t: number;
  readonly start: number;
  /** start + payload + SYN + FIN: a bare zero-window probe has end === start. */
  readonly end: number;
  readonly kind: SegmentKind;
  /** Frame number in the capture. */
  readonly frame: number;
}

/** A point of a step line: from time t on, the line is at `value`. */
export interface GraphStep {
  readonly t: number;
  readonly value: number;
}

/** A SACK block reported by the receiver at time t (RFC 2018), D-SACK when it reports a duplicate (RFC 2883 §4). */
export interface GraphSack {
  readonly t: number;
  readonly start: number;
  readonly end: number;
  readonly dsack: boolean;
}

/** Counts shown under the graph's title and checked by tests. */
export interface GraphStats {
  /** Segments of the connection in both directions. */
  readonly packets: number;
  /** Segments carrying new data. */
  readonly dataSegments: number;
  /** Segments covering sequence space sent before (data, SYN or FIN). */
  readonly retransmissions: number;
  readonly zeroWindowProbes: number;
  /** Payload bytes sent for the first time. */
  readonly bytes: number;
  readonly retransmittedBytes: number;
  readonly sackBlocks: number;
  /** From the first to the last segment of the connection. */
  readonly durationUs: number;
}

/** The graph of one direction of one connection. */
export interface ConnectionGraph {
  /** `client-server`, as `--conn` names it. */
  readonly name: string;
  readonly client: string;
  readonly server: string;
  /** The direction graphed: data from `sender` to `receiver`. */
  readonly sender: string;
  readonly receiver: string;
  /** Capture time (µs) of the connection's first segment: time 0 of the graph. */
  readonly startUs: number;
  /** The sequence number that relative sequence 0 stands for. */
  readonly isn: number;
  /** True when the sender's SYN was captured (else `isn` is the first sequence number seen). */
  readonly isnFromSyn: boolean;
  /** Shift applied to the receiver's windows (RFC 7323 §2.3). */
  readonly windowScale: number;
  /** True when both SYNs were captured, so `windowScale` is what was negotiated (else 0 is assumed). */
  readonly windowScaleKnown: boolean;
  /** True when both SYNs carried the window scale option, which turns scaling on (RFC 7323 §2.2). */
  readonly windowScaling: boolean;
  readonly sackPermitted: boolean;
  /** MSS the receiver announced, or -1. */
  readonly mss: number;
  readonly segments: readonly GraphSegment[];
  /** The highest cumulative ACK so far: non-decreasing in both time and value. */
  readonly acks: readonly GraphStep[];
  /** The right edge of the receive window, ack + (window << scale). */
  readonly window: readonly GraphStep[];
  readonly sacks: readonly GraphSack[];
  readonly stats: GraphStats;
}

/** Which connection(s) and direction to analyse. */
export interface GraphSelection {
  /** `A:P-B:P` (either order): only that connection. */
  conn?: string;
  /**
   * The data direction: `client` (client to server), `server`, or the
   * sending endpoint `A:P`. Default: the direction that carried more payload.
   */
  dir?: string;
}

/** The TCP segments of a capture, in capture order. */
export function capturePackets(capture: PcapCapture): TcpPacketInfo[] {
  const out: TcpPacketInfo[] = [];
  const pkts = capture.packets;
  for (let i = 0; i < pkts.length; i++) {
    const info = tcpPacketInfo(pkts[i]!.data, capture.linkType, pkts[i]!.timeUs, i + 1);
    if (info !== null) out.push(info);
  }
  return out;
}

/**
 * The sender of the data direction of `c` for a `dir` selection, or null
 * when `dir` names neither end.
 */
export function resolveSender(c: TcpConnectionPackets, dir?: string): string | null {
  if (dir === undefined) {
    let fromClient = 0;
    let fromServer = 0;
    for (const p of c.packets) {
      if (p.src === c.client) fromClient += p.payloadLength;
      else fromServer += p.payloadLength;
    }
    return fromServer > fromClient ? c.server : c.client;
  }
  if (dir === 'client') return c.client;
  if (dir === 'server') return c.server;
  const end = canonicalEndpoint(dir);
  return end === c.client || end === c.server ? end : null;
}

/**
 * Analyses the connections of a list of segments (all of them, or the one
 * `selection.conn` names). Throws RangeError when `selection.dir` names an
 * endpoint that is not part of a selected connection (check with
 * {@link resolveSender} first to report it nicely).
 */
export function analyzePackets(packets: Iterable<TcpPacketInfo>, selection: GraphSelection = {}): ConnectionGraph[] {
  let conns = groupConnections(packets);
  if (selection.conn !== undefined) {
    const ends = parseConnectionName(selection.conn);
    conns = ends === null ? [] : conns.filter((c) => connectionMatches(c, ends));
  }
  return conns.map((c) => {
    const sender = resolveSender(c, selection.dir);
    if (sender === null) throw new RangeError(`--dir ${selection.dir}: not an endpoint of ${connectionName(c)}`);
    return analyzeConnection(c, sender);
  });
}

/** {@link analyzePackets} over a whole capture. */
export function analyzeCapture(capture: PcapCapture, selection: GraphSelection = {}): ConnectionGraph[] {
  return analyzePackets(capturePackets(capture), selection);
}

/**
 * Turns 32-bit sequence numbers into a line: each value is placed within
 * ±2^31 of the highest one seen so far (RFC 9293 §3.4 arithmetic), so the
 * values stay ordered across wraps.
 */
class Unwrapper {
  private refSeq: number;
  private refRel = 0;
  constructor(base: number) {
    this.refSeq = base >>> 0;
  }
  /** The relative value of `seq`; `advance` lets it move the reference forward. */
  rel(seq: number, advance: boolean): number {
    const d = ((seq - this.refSeq) | 0);
    const r = this.refRel + d;
    if (advance && d > 0) {
      this.refSeq = seq >>> 0;
      this.refRel = r;
    }
    return r;
  }
}

/** Seconds between two µs times. */
function secs(us: number, startUs: number): number {
  return (us - startUs) / 1e6;
}

/** Analyses the direction `sender` → the other end of connection `c`. */
export function analyzeConnection(c: TcpConnectionPackets, sender: string): ConnectionGraph {
  const receiver = sender === c.client ? c.server : c.client;
  const pkts = c.packets;
  const startUs = pkts.length > 0 ? pkts[0]!.timeUs : 0;
  const endUs = pkts.length > 0 ? pkts[pkts.length - 1]!.timeUs : 0;

  const senderSyn = pkts.find((p) => p.src === sender && (p.flags & SYN) !== 0);
  const receiverSyn = pkts.find((p) => p.src === receiver && (p.flags & SYN) !== 0);
  const firstOwn = pkts.find((p) => p.src === sender);
  const firstAck = pkts.find((p) => p.src === receiver && (p.flags & ACK) !== 0);
  const isn = senderSyn?.seq ?? firstOwn?.seq ?? (firstAck !== undefined ? firstAck.ack : 0);
  // RFC 7323 §2.2: scaling is on only when both SYNs carried the option.
  const windowScaleKnown = senderSyn !== undefined && receiverSyn !== undefined;
  const windowScaling = windowScaleKnown && senderSyn.wscale >= 0 && receiverSyn.wscale >= 0;
  const windowScale = windowScaling ? Math.min(receiverSyn.wscale, MAX_WSCALE) : 0;
  const sackPermitted = senderSyn?.sackPermitted === true && receiverSyn?.sackPermitted === true;

  const seq = new Unwrapper(isn);
  const segments: GraphSegment[] = [];
  const acks: GraphStep[] = [];
  const window: GraphStep[] = [];
  const sacks: GraphSack[] = [];
  let highWater = -Infinity;
  let ackMax = -Infinity;
  let lastEdge = NaN;
  /** The receiver's last advertised window (scaled), or -1 before any. */
  let lastWindow = -1;
  // lastEdge starts as NaN: no comparison with it holds before the first ACK.
  let dataSegments = 0;
  let retransmissions = 0;
  let zeroWindowProbes = 0;
  let bytes = 0;
  let retransmittedBytes = 0;

  for (const p of pkts) {
    const t = secs(p.timeUs, startUs);
    if (p.src === sender) {
      if ((p.flags & RST) !== 0) continue;
      const syn = (p.flags & SYN) !== 0;
      const seqLen = p.payloadLength + (syn ? 1 : 0) + ((p.flags & FIN) !== 0 ? 1 : 0);
      const start = seq.rel(p.seq, true);
      const end = start + seqLen;
      // Zero-window probes (RFC 9293 §3.8.6.1): while the receiver's window
      // is closed (zero, or no room past what was sent), either Linux's bare
      // ACK one below SND.UNA (tcp_xmit_probe_skb) or the classic one byte
      // at the window's edge. The same bare ACK in an open window is a keepalive.
      const closed = lastWindow === 0 || lastEdge <= highWater;
      if (closed && !syn && ((seqLen === 0 && start === ackMax - 1) || (p.payloadLength === 1 && seqLen === 1 && start >= ackMax))) {
        // Not counted as sent: the probe byte goes again with the data once the window opens,
        // which is no retransmission.
        zeroWindowProbes++;
        segments.push({ t, start, end, kind: 'zero-window-probe', frame: p.frame });
        continue;
      }
      if (seqLen === 0) continue;
      let kind: SegmentKind;
      if (start < highWater) {
        kind = 'retransmit';
        retransmissions++;
        retransmittedBytes += p.payloadLength;
      } else {
        kind = 'data';
        if (p.payloadLength > 0) {
          dataSegments++;
          bytes += p.payloadLength;
        }
      }
      segments.push({ t, start, end, kind, frame: p.frame });
      if (end > highWater) highWater = end;
    } else if ((p.flags & ACK) !== 0 && (p.flags & RST) === 0) {
      // The receiver's ACKs (a reset's window says nothing about its buffer).
      const a = seq.rel(p.ack, true);
      // RFC 7323 §2.2: the window field of a SYN is never scaled.
      const scaled = (p.flags & SYN) !== 0 ? p.window : p.window * 2 ** windowScale;
      lastWindow = scaled;
      if (a > ackMax) {
        ackMax = a;
        acks.push({ t, value: a });
      }
      const edge = a + scaled;
      if (edge !== lastEdge) {
        lastEdge = edge;
        window.push({ t, value: edge });
      }
      for (let i = 0; i + 1 < p.sack.length; i += 2) {
        const s = seq.rel(p.sack[i]!, false);
        const e = seq.rel(p.sack[i + 1]!, false);
        // RFC 2883 §4: a first block below the cumulative ACK, or inside
        // the second block, reports a duplicate.
        let dsack = false;
        if (i === 0) {
          const inSecond = p.sack.length >= 4 && s >= seq.rel(p.sack[2]!, false) && e <= seq.rel(p.sack[3]!, false);
          dsack = e <= a || inSecond;
        }
        sacks.push({ t, start: s, end: e, dsack });
      }
    }
  }

  return {
    name: connectionName(c),
    client: c.client,
    server: c.server,
    sender,
    receiver,
    startUs,
    isn: isn >>> 0,
    isnFromSyn: senderSyn !== undefined,
    windowScale,
    windowScaleKnown,
    windowScaling,
    sackPermitted,
    mss: receiverSyn?.mss ?? -1,
    segments,
    acks,
    window,
    sacks,
    stats: {
      packets: pkts.length,
      dataSegments,
      retransmissions,
      zeroWindowProbes,
      bytes,
      retransmittedBytes,
      sackBlocks: sacks.length,
      durationUs: endUs - startUs,
    },
  };
}
