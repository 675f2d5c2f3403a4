/**
 * Replaying a recorded TCP exchange into a live stack, packetdrill style.
 *
 * The live stack picks its own initial sequence numbers (RFC 6528) and its
 * own timestamp offset (RFC 7323 §5.4), so the peer's recorded packets
 * acknowledge and echo numbers the live stack never sent. {@link TcpReplayMap}
 * sits between the {@link ReplayLink} and the stack as a link decorator and
 * translates them:
 *
 *  - it pairs the n-th packet the stack sends with the n-th recorded outbound
 *    packet. When the pair is a SYN or SYN-ACK of the same connection it
 *    learns that connection's ISN offset (live ISS − recorded ISS); for every
 *    pair carrying timestamps it learns recorded TSval → live TSval;
 *  - before an inbound recorded segment reaches the stack it rewrites, for a
 *    connection whose offset is known: the acknowledgment number and the
 *    SACK block edges (+ ISN offset), and the TS echo reply (the live TSval
 *    paired with the recorded one it echoes; if that value was never paired,
 *    the offset of the nearest earlier pair) — then recomputes the TCP
 *    checksum.
 *
 * {@link compareOutbound} then checks a live packet against its recorded
 * counterpart field by field. Fields allowed to differ, and why:
 *  - IPv4 identification: chosen from a secret per host (RFC 7739);
 *  - IPv4 header checksum: covers the identification;
 *  - TCP sequence number: compared after subtracting the ISN offset (the ISN
 *    is a keyed hash of the 4-tuple and a clock, RFC 6528);
 *  - TCP timestamp value: a per-connection random offset plus a millisecond
 *    clock (RFC 7323 §5.4); a live clock and a real one differ by sub-ms
 *    processing delays, so only "present, and never decreasing" is checked;
 *  - TCP checksum: covers the sequence number and TSval.
 * Everything else — lengths, TOS, TTL, flags, ports, acknowledgment number,
 * window, urgent pointer, option kinds, lengths and order, MSS, window scale,
 * SACK-permitted, the TS echo reply, SACK blocks, payload — must be equal.
 */
import { readU16, readU32, writeU16, writeU32 } from '../../src/core/bytes.js';
import { finishChecksum, pseudoSumV4, sumBytes } from '../../src/ip/checksum.js';
import type { FrameReceiver, Link, LinkType } from '../../src/link/link.js';
import type { ReplayPacket } from '../../src/link/replay-link.js';

const IPPROTO_TCP = 6;
const TCP_FLAG_SYN = 0x02;
const TCP_FLAG_ACK = 0x10;
const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_SACK = 5;
const OPT_TIMESTAMP = 8;

/** The fields of an IPv4 packet carrying TCP that the mapping and the comparison use. */
export interface TcpPacketView {
  readonly ipHeaderLen: number;
  readonly src: number;
  readonly dst: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  /** Offset of the TCP header in the packet. */
  readonly tcpOffset: number;
  readonly tcpHeaderLen: number;
  /** Offset in the packet of the TS option's value, or -1. */
  readonly tsOffset: number;
  /** Offsets in the packet of each SACK block (8 bytes each). */
  readonly sackOffsets: readonly number[];
}

/** Parses an IPv4/TCP packet (unfragmented); null for anything else or anything malformed. */
export function viewTcp(p: Uint8Array): TcpPacketView | null {
  if (p.length < 20 || p[0]! >>> 4 !== 4) return null;
  const ihl = (p[0]! & 0x0f) * 4;
  if (ihl < 20 || p.length < ihl + 20 || p[9] !== IPPROTO_TCP) return null;
  if ((readU16(p, 6) & 0x3fff) !== 0) return null; // a fragment
  const t = ihl;
  const thl = (p[t + 12]! >>> 4) * 4;
  if (thl < 20 || p.length < t + thl) return null;
  let tsOffset = -1;
  const sackOffsets: number[] = [];
  for (let o = t + 20; o < t + thl; ) {
    const kind = p[o]!;
    if (kind === OPT_EOL) break;
    if (kind === OPT_NOP) {
      o++;
      continue;
    }
    const len = p[o + 1];
    if (len === undefined || len < 2 || o + len > t + thl) break;
    if (kind === OPT_TIMESTAMP && len === 10) tsOffset = o + 2;
    if (kind === OPT_SACK) for (let b = o + 2; b + 8 <= o + len; b += 8) sackOffsets.push(b);
    o += len;
  }
  return {
    ipHeaderLen: ihl,
    src: readU32(p, 12),
    dst: readU32(p, 16),
    srcPort: readU16(p, t),
    dstPort: readU16(p, t + 2),
    seq: readU32(p, t + 4),
    ack: readU32(p, t + 8),
    flags: p[t + 13]!,
    tcpOffset: t,
    tcpHeaderLen: thl,
    tsOffset,
    sackOffsets,
  };
}

/** The connection a packet belongs to, seen from the stack: "remoteAddr:remotePort:localPort". */
function flowKey(v: TcpPacketView, outbound: boolean): string {
  return outbound ? `${v.dst}:${v.dstPort}:${v.srcPort}` : `${v.src}:${v.srcPort}:${v.dstPort}`;
}

/** What is known about one connection's live-vs-recorded numbers. */
interface FlowMapping {
  /** live ISS − recorded ISS (mod 2^32). */
  seqOffset: number;
  /** Recorded TSval → live TSval of the paired packets, in the order seen. */
  readonly tsPairs: Map<number, number>;
  /** The last pair (fallback for an echo of a TSval that was never paired). */
  lastRecTs: number;
  lastLiveTs: number;
}

/** Link decorator that maps a recorded peer's TCP numbers onto the live stack's (see the file comment). */
export class TcpReplayMap implements Link {
  readonly name: string;
  readonly linkType: LinkType;
  readonly mtu: number;
  readonly mac: Uint8Array | undefined;
  private readonly flows = new Map<string, FlowMapping>();
  private sentCount = 0;
  /** Inbound segments rewritten so far. */
  rewritten = 0;

  constructor(
    private readonly inner: Link,
    private readonly recordedOutbound: readonly ReplayPacket[],
  ) {
    if (inner.linkType !== 'ip') throw new Error('TcpReplayMap: only IP (TUN) captures');
    this.name = inner.name;
    this.linkType = inner.linkType;
    this.mtu = inner.mtu;
    this.mac = inner.mac;
  }

  /** The ISN offset learnt for the connection of a packet the stack sent (0 if none: not TCP, or a RST to a stray segment). */
  seqOffsetFor(outbound: Uint8Array): number {
    const v = viewTcp(outbound);
    return v === null ? 0 : (this.flows.get(flowKey(v, true))?.seqOffset ?? 0);
  }

  send(frame: Uint8Array): void {
    const rec = this.recordedOutbound[this.sentCount++];
    if (rec !== undefined) this.learn(frame, rec.data);
    this.inner.send(frame);
  }

  setReceiver(receiver: FrameReceiver | null): void {
    if (receiver === null) {
      this.inner.setReceiver(null);
      return;
    }
    this.inner.setReceiver((frame) => {
      this.rewriteInbound(frame);
      receiver(frame);
    });
  }

  close(): void {
    this.inner.close();
  }

  private learn(live: Uint8Array, recorded: Uint8Array): void {
    const l = viewTcp(live);
    const r = viewTcp(recorded);
    if (l === null || r === null) return;
    const key = flowKey(l, true);
    if (key !== flowKey(r, true)) return;
    let f = this.flows.get(key);
    if ((l.flags & TCP_FLAG_SYN) !== 0 && (r.flags & TCP_FLAG_SYN) !== 0) {
      const seqOffset = (l.seq - r.seq) >>> 0;
      if (f === undefined) {
        f = { seqOffset, tsPairs: new Map(), lastRecTs: 0, lastLiveTs: 0 };
        this.flows.set(key, f);
      } else f.seqOffset = seqOffset;
    }
    if (f === undefined || l.tsOffset < 0 || r.tsOffset < 0) return;
    const liveTs = readU32(live, l.tsOffset);
    const recTs = readU32(recorded, r.tsOffset);
    if (!f.tsPairs.has(recTs)) f.tsPairs.set(recTs, liveTs);
    f.lastRecTs = recTs;
    f.lastLiveTs = liveTs;
  }

  /** Rewrites ack, SACK edges and TS echo of a recorded inbound segment in place (the ReplayLink hands us a copy). */
  private rewriteInbound(p: Uint8Array): void {
    const v = viewTcp(p);
    if (v === null) return;
    const f = this.flows.get(flowKey(v, false));
    if (f === undefined) return;
    if ((v.flags & TCP_FLAG_ACK) !== 0) writeU32(p, v.tcpOffset + 8, (v.ack + f.seqOffset) >>> 0);
    for (const o of v.sackOffsets) {
      writeU32(p, o, (readU32(p, o) + f.seqOffset) >>> 0);
      writeU32(p, o + 4, (readU32(p, o + 4) + f.seqOffset) >>> 0);
    }
    if (v.tsOffset >= 0) {
      const ecr = readU32(p, v.tsOffset + 4);
      if (ecr !== 0) {
        const mapped = f.tsPairs.get(ecr) ?? (f.lastLiveTs + (ecr - f.lastRecTs)) >>> 0;
        writeU32(p, v.tsOffset + 4, mapped);
      }
    }
    const tcpLen = p.length - v.tcpOffset;
    writeU16(p, v.tcpOffset + 16, 0);
    writeU16(p, v.tcpOffset + 16, finishChecksum(sumBytes(p, v.tcpOffset, p.length, pseudoSumV4(v.src, v.dst, IPPROTO_TCP, tcpLen))));
    this.rewritten++;
  }
}

/** One field that differs between a live packet and its recorded counterpart. */
export interface FieldDiff {
  readonly field: string;
  readonly live: number | string;
  readonly recorded: number | string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * Compares a live outbound IPv4 packet with the recorded one, field by
 * field, skipping the fields the file comment lists. `seqOffset` is the
 * connection's ISN offset for TCP (ignored otherwise). Returns the
 * differences (empty when they match).
 */
export function compareOutbound(live: Uint8Array, recorded: Uint8Array, seqOffset: number): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  const eq = (field: string, a: number | string, b: number | string): void => {
    if (a !== b) diffs.push({ field, live: a, recorded: b });
  };
  if (live.length < 20 || recorded.length < 20) {
    eq('bytes', hex(live), hex(recorded));
    return diffs;
  }
  // IPv4 header (RFC 791 §3.1) minus identification (4-5) and checksum (10-11).
  eq('ip.version+ihl', live[0]!, recorded[0]!);
  eq('ip.tos', live[1]!, recorded[1]!);
  eq('ip.totalLength', readU16(live, 2), readU16(recorded, 2));
  eq('ip.flags+fragOffset', readU16(live, 6), readU16(recorded, 6));
  eq('ip.ttl', live[8]!, recorded[8]!);
  eq('ip.protocol', live[9]!, recorded[9]!);
  eq('ip.src', readU32(live, 12), readU32(recorded, 12));
  eq('ip.dst', readU32(live, 16), readU32(recorded, 16));
  const ihl = (live[0]! & 0x0f) * 4;
  eq('ip.options', hex(live.subarray(20, ihl)), hex(recorded.subarray(20, (recorded[0]! & 0x0f) * 4)));
  const l = viewTcp(live);
  const r = viewTcp(recorded);
  if (l === null || r === null) {
    // Not TCP: the whole IP payload must be equal (UDP and ICMP carry no per-host secrets).
    eq('ip.payload', hex(live.subarray(ihl)), hex(recorded.subarray((recorded[0]! & 0x0f) * 4)));
    return diffs;
  }
  const lt = l.tcpOffset;
  const rt = r.tcpOffset;
  eq('tcp.srcPort', l.srcPort, r.srcPort);
  eq('tcp.dstPort', l.dstPort, r.dstPort);
  eq('tcp.seq-isnOffset', (l.seq - seqOffset) >>> 0, r.seq);
  eq('tcp.ack', l.ack, r.ack);
  eq('tcp.dataOffset', l.tcpHeaderLen, r.tcpHeaderLen);
  eq('tcp.flags', l.flags, r.flags);
  eq('tcp.window', readU16(live, lt + 14), readU16(recorded, rt + 14));
  eq('tcp.urgent', readU16(live, lt + 18), readU16(recorded, rt + 18));
  // Options byte for byte, with the TSval blanked in both.
  const lo = live.slice(lt + 20, lt + l.tcpHeaderLen);
  const ro = recorded.slice(rt + 20, rt + r.tcpHeaderLen);
  if (l.tsOffset >= 0) lo.fill(0, l.tsOffset - lt - 20, l.tsOffset - lt - 16);
  if (r.tsOffset >= 0) ro.fill(0, r.tsOffset - rt - 20, r.tsOffset - rt - 16);
  eq('tcp.options(TSval blanked)', hex(lo), hex(ro));
  eq('tcp.payload', hex(live.subarray(lt + l.tcpHeaderLen)), hex(recorded.subarray(rt + r.tcpHeaderLen)));
  return diffs;
}
