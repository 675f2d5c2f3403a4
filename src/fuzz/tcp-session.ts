import type { IPv4Address, IPv6Address } from '../core/address.js';
import { writeU32 } from '../core/bytes.js';
import { seq, seqAdd, seqGt, seqLt, type Seq } from '../core/seq.js';
import { ACK, FIN, PSH, RST, SYN, type TcpSpec } from '../tcp/header.js';
import type { PacketPool } from './packet-pool.js';
import { sameV6, tcpPacket, type Endpoints, type PayloadSums, type TcpReply } from './wire.js';

/** What the fuzzer's SYN offers (RFC 9293 §3.2, RFC 7323, RFC 2018). */
export interface SynOffer {
  /** MSS option value, or -1 for none. */
  mss: number;
  /** Window scale shift, or -1 for none (values above 14 are a lie the peer must clamp). */
  wscale: number;
  sackOk: boolean;
  timestamps: boolean;
  /** Extra raw option bytes appended after the honest ones (options abuse). */
  extra?: Uint8Array;
  window: number;
}

/** Overrides for one hand-built segment; everything defaults to the session's state. */
export interface SegmentSpec {
  flags: number;
  seq?: number;
  ack?: number;
  window?: number;
  urgent?: number;
  payload?: Uint8Array;
  /** Raw options; default: a timestamp when the session negotiated them. */
  options?: Uint8Array;
  /** Leave out the session's timestamp option. */
  noTimestamp?: boolean;
  checksum?: number;
  dataOffset?: number;
}

/** A {@link TcpSpec} with every field present (one shape for every segment built). */
type SegmentRecord = {
  -readonly [K in keyof Required<Omit<TcpSpec, 'reserved'>>]: TcpSpec[K];
} & { reserved?: number };

/** The session's view of the connection. */
export type SessionState = 'idle' | 'syn-sent' | 'established' | 'closed';

/**
 * A TCP client the fuzzer drives by hand (RFC 9293 §3.10 from the active
 * side, minus everything a fuzzer does not need): it sends a SYN, completes
 * the handshake from the SYN-ACK, tracks both sequence spaces from what the
 * target sends, ACKs its data, and builds any segment — honest or not —
 * relative to that state. Packets to send collect in {@link outbox}; the
 * runner injects them (and records them) in order.
 */
export class TcpSession {
  state: SessionState = 'idle';
  readonly outbox: Uint8Array[] = [];
  /** Our initial sequence number and next sequence number. */
  readonly iss: Seq;
  sndNxt: Seq;
  /** The target's initial sequence number and the next byte we expect from it. */
  irs: Seq = seq(0);
  rcvNxt: Seq = seq(0);
  /** The highest ACK the target sent (its RCV.NXT as far as we know) and its last window. */
  peerAck: Seq = seq(0);
  peerWindow = 0;
  /** Highest sequence number the target has sent (SND.MAX seen from outside). */
  peerSndMax: Seq = seq(0);
  peerWscale = -1;
  tsOn = false;
  tsRecent = 0;
  private tsClock = 1;
  private readonly tsOption = Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0);
  sackOn = false;
  /** Payload bytes received in order, and (when collecting) the bytes themselves. */
  receivedBytes = 0;
  readonly received: Uint8Array[] = [];
  collect = false;
  /** Segments that arrived for this session. */
  segmentsIn = 0;
  resetByPeer = false;
  private readonly spec: SegmentRecord;

  constructor(
    readonly ep: Endpoints,
    readonly localPort: number,
    readonly remotePort: number,
    iss: number,
    /** Where segments are allocated (default: a fresh array each). */
    private readonly pool?: PacketPool,
    /** Payload sums known in advance (the fuzzer's noise block), to skip a checksum pass over them. */
    private readonly sums?: PayloadSums,
  ) {
    this.iss = seq(iss);
    this.sndNxt = this.iss;
    this.spec = {
      srcPort: localPort, dstPort: remotePort, seq: 0, ack: 0, flags: 0, window: 0,
      urgent: undefined, payload: undefined, options: undefined, checksum: undefined, dataOffset: undefined,
    };
  }

  /** Sends the SYN with the offered options. */
  open(offer: SynOffer): void {
    const opts: number[] = [];
    if (offer.mss >= 0) opts.push(2, 4, (offer.mss >>> 8) & 0xff, offer.mss & 0xff);
    if (offer.sackOk) opts.push(1, 1, 4, 2);
    const tsAt = opts.length + 4;
    if (offer.timestamps) opts.push(1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0);
    if (offer.wscale >= 0) opts.push(1, 3, 3, offer.wscale & 0xff);
    let options = Uint8Array.from(opts);
    if (offer.timestamps) writeU32(options, tsAt, this.tsClock);
    const extra = offer.extra;
    if (extra !== undefined && extra.length > 0) {
      // Honest options first, then the abuse, cut to the 40 bytes a header holds.
      const both = new Uint8Array(Math.min(40, options.length + extra.length));
      both.set(options.subarray(0, both.length));
      if (both.length > options.length) both.set(extra.subarray(0, both.length - options.length), options.length);
      options = both;
    }
    this.tsOn = offer.timestamps;
    this.sackOn = offer.sackOk;
    this.segment({ flags: SYN, seq: this.iss, ack: 0, window: offer.window, options, noTimestamp: true });
    this.sndNxt = seqAdd(this.iss, 1);
    this.state = 'syn-sent';
  }

  /** True if `r` (read from packet `p`) belongs to this connection, as seen from the target's side. */
  matches(r: TcpReply, p: Uint8Array): boolean {
    if (r.srcPort !== this.remotePort || r.dstPort !== this.localPort || r.family !== this.ep.family) return false;
    if (this.ep.family === 4) return r.src4 === this.ep.dst && r.dst4 === this.ep.src;
    return sameV6(p, 8, this.ep.dst) && sameV6(p, 24, this.ep.src);
  }

  /** Takes one segment the target sent on this connection; ACKs what needs acknowledging. */
  handle(r: TcpReply, p: Uint8Array): void {
    this.segmentsIn++;
    if ((r.flags & RST) !== 0) {
      if (this.state !== 'closed') this.resetByPeer = true;
      this.state = 'closed';
      return;
    }
    if ((r.flags & ACK) !== 0) {
      const a = seq(r.ack);
      if (seqGt(a, this.peerAck) || this.state !== 'established') this.peerAck = a;
      this.peerWindow = r.window;
    }
    if (r.hasTs) this.tsRecent = r.tsVal;
    const segEnd = seqAdd(seq(r.seq), r.payloadLength + ((r.flags & (SYN | FIN)) !== 0 ? 1 : 0));
    if (seqGt(segEnd, this.peerSndMax) || this.state === 'syn-sent') this.peerSndMax = segEnd;
    if (this.state === 'syn-sent') {
      if ((r.flags & (SYN | ACK)) === (SYN | ACK) && seq(r.ack) === this.sndNxt) {
        this.irs = seq(r.seq);
        this.rcvNxt = seqAdd(this.irs, 1);
        this.tsOn = this.tsOn && r.hasTs;
        this.state = 'established';
        this.segment({ flags: ACK });
      }
      return;
    }
    if (this.state !== 'established') return;
    let ackNeeded = false;
    if (r.payloadLength > 0) {
      ackNeeded = true;
      const s = seq(r.seq);
      // Accept data that starts at or before RCV.NXT and reaches past it.
      const end = seqAdd(s, r.payloadLength);
      if (!seqGt(s, this.rcvNxt) && seqGt(end, this.rcvNxt)) {
        const skip = (this.rcvNxt - s) >>> 0;
        const n = r.payloadLength - skip;
        if (this.collect) this.received.push(p.slice(r.payloadOffset + skip, r.payloadOffset + r.payloadLength));
        this.receivedBytes += n;
        this.rcvNxt = end;
      }
    }
    if ((r.flags & FIN) !== 0 && seqAdd(seq(r.seq), r.payloadLength) === this.rcvNxt) {
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
      ackNeeded = true;
    }
    if ((r.flags & SYN) !== 0) ackNeeded = true; // a retransmitted SYN-ACK: our ACK was lost or refused
    if (ackNeeded) this.segment({ flags: ACK });
  }

  /**
   * The timestamp option for our next segment: NOP NOP TS(val, ecr), in a
   * buffer reused from segment to segment (the builder copies it into the
   * packet at once).
   */
  timestampOption(val = this.tsClock++, ecr = this.tsRecent): Uint8Array {
    const o = this.tsOption;
    writeU32(o, 4, val >>> 0);
    writeU32(o, 8, ecr >>> 0);
    return o;
  }

  /** Builds one segment from the session's state and `s`'s overrides, and queues it. */
  segment(s: SegmentSpec): Uint8Array {
    let options = s.options;
    if (options === undefined && this.tsOn && s.noTimestamp !== true) options = this.timestampOption();
    // One spec record, rewritten whole for every segment (tcpPacket reads it at once and keeps nothing).
    const spec = this.spec;
    spec.seq = s.seq ?? this.sndNxt;
    spec.ack = s.ack ?? ((s.flags & ACK) !== 0 ? this.rcvNxt : 0);
    spec.flags = s.flags;
    spec.window = s.window ?? 65535;
    spec.urgent = s.urgent;
    spec.payload = s.payload;
    spec.options = options;
    spec.checksum = s.checksum;
    spec.dataOffset = s.dataOffset;
    const p = tcpPacket(this.ep, spec, 64, this.pool, this.sums);
    this.outbox.push(p);
    return p;
  }

  /** Sends `payload` in order (PSH|ACK) and advances SND.NXT. */
  send(payload: Uint8Array): void {
    this.segment({ flags: PSH | ACK, payload });
    this.sndNxt = seqAdd(this.sndNxt, payload.length);
  }

  /**
   * Resets the connection with a RST the target must accept: its sequence
   * number is exactly the target's RCV.NXT (RFC 5961 §3.2 accepts only that
   * one without a challenge) — as its last ACK told us, and, when that may
   * be stale (data of ours it has not acknowledged yet), a second RST at our
   * SND.NXT. Whichever is not exact is ignored or challenged harmlessly.
   */
  abort(): void {
    if (this.state === 'closed' || this.state === 'idle') {
      this.state = 'closed';
      return;
    }
    const acked = this.state === 'established' && !seqLt(this.peerAck, this.iss);
    const first = acked ? this.peerAck : this.sndNxt;
    this.segment({ flags: RST | ACK, seq: first, ack: this.rcvNxt, window: 0, noTimestamp: true });
    if (first !== this.sndNxt) this.segment({ flags: RST | ACK, seq: this.sndNxt, ack: this.rcvNxt, window: 0, noTimestamp: true });
    this.state = 'closed';
  }

  /** The four-tuple as a short text, for reports. */
  describe(): string {
    return `${this.localPort}->${this.remotePort}`;
  }
}

/** Endpoints of a session from `local` (the fuzzer) to `remote` (the target); both of one family. */
export function sessionEndpoints(local: IPv4Address | IPv6Address, remote: IPv4Address | IPv6Address): Endpoints {
  if (typeof local === 'number' && typeof remote === 'number') return { family: 4, src: local, dst: remote };
  if (typeof local !== 'number' && typeof remote !== 'number') return { family: 6, src: local, dst: remote };
  throw new TypeError('sessionEndpoints: mixed address families');
}
