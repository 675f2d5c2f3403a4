import type { IPv4Address, IPv6Address } from '../core/address.js';
import { readU16, readU32, writeU16 } from '../core/bytes.js';
import type { RandomSource } from '../core/random.js';
import { Timer, type TimerScheduler } from '../core/scheduler.js';
import { internetChecksum } from './checksum.js';
import type { Ipv4Header } from './ipv4-header.js';
import {
  IPV6_F_PAYLOAD_LENGTH,
  IPV6_HEADER_LEN,
  PARAM_PROBLEM_HEADER,
  PARAM_PROBLEM_INCOMPLETE_CHAIN,
  walkIpv6Extensions,
  type Ipv6FragmentInfo,
  type Ipv6Packet,
} from './ipv6-header.js';

/**
 * Fragment reassembly for IPv4 (RFC 791 §3.2, RFC 815) and IPv6 (RFC 8200
 * §4.5), one buffer per stack. Each datagram in progress is keyed by
 * (source, destination, protocol / Fragment Next Header, identification),
 * found through a numeric hash and a field-by-field check, so no string key
 * is built per fragment. Received data is kept as a sorted list of
 * non-overlapping intervals; the datagram is complete when the last
 * fragment has been seen and the intervals add up to its length.
 *
 * Policy, following Linux where the RFCs leave a choice:
 * - a fragment wholly inside data already received is a duplicate and is
 *   ignored; one that partly overlaps discards the whole datagram — RFC 5722
 *   (with erratum 3089) for IPv6; Linux does the same for IPv4 since 4.19;
 * - a non-last IPv4 fragment whose length is not a multiple of 8 is trimmed
 *   (Linux); the same in IPv6 is refused with Parameter Problem (RFC 8200 §4.5);
 * - an empty fragment, or one that contradicts the known end of the
 *   datagram, discards the datagram (Linux's "corrupted" cases);
 * - when the total memory cap is reached new fragments are refused until
 *   datagrams complete or time out (Linux's ipfrag_high_thresh).
 */

/** Why a fragment (and perhaps its datagram) was dropped. */
export type ReassemblyDropReason =
  /** Wholly inside data already received: ignored, datagram kept (RFC 5722 erratum 3089). */
  | 'frag-duplicate'
  /** Partly overlaps received data: datagram discarded (RFC 5722). */
  | 'frag-overlap'
  /** First fragment without the whole upper-layer header (RFC 8200 §4.5, RFC 7112, RFC 1858 §3.1). */
  | 'frag-tiny-first'
  /** IPv4 TCP fragment at offset 8 (RFC 1858 §3.2: could rewrite the TCP flags). */
  | 'frag-tcp-offset-one'
  /** IPv6 non-last fragment whose length is not a multiple of 8 (RFC 8200 §4.5). */
  | 'frag-bad-length'
  /** No data. */
  | 'frag-empty'
  /** Reassembled datagram would exceed 65535 bytes (RFC 791 total length, RFC 8200 §4.5 payload length). */
  | 'frag-too-long'
  /** Contradicts the datagram's known end (a second last fragment, or data beyond the end). */
  | 'frag-bad-end'
  /** The buffer's total memory cap is reached. */
  | 'frag-memory'
  /** The datagram exceeded its own memory or fragment-count cap. */
  | 'frag-datagram-limit';

/** What happened to a fragment handed to the buffer. */
export type ReassemblyResult =
  | { readonly status: 'pending' }
  | {
      readonly status: 'complete';
      /** The whole datagram: the first fragment's header, fixed up, followed by all the data. */
      readonly packet: Uint8Array;
      /** How many fragments made it (1 for an atomic fragment). */
      readonly fragments: number;
      /** An IPv6 atomic fragment (offset 0, M = 0) passed straight through (RFC 6946). */
      readonly atomic: boolean;
    }
  | {
      readonly status: 'dropped';
      readonly reason: ReassemblyDropReason;
      /** True when the whole datagram in progress was thrown away too (count IpReasmFails). */
      readonly datagramDiscarded: boolean;
      /**
       * An ICMPv6 Parameter Problem to send about the fragment, or null:
       * code 0 pointing at Payload Length for 'frag-bad-length', code 0
       * pointing at the Fragment Offset for 'frag-too-long', code 3 pointer 0
       * for 'frag-tiny-first' (RFC 8200 §4.5, RFC 7112 §5).
       */
      readonly icmp: { readonly code: number; readonly pointer: number } | null;
    };

/** Reported when a datagram times out, so the stack can send Time Exceeded code 1. */
export interface ReassemblyTimeout {
  readonly family: 4 | 6;
  readonly src: IPv4Address | IPv6Address;
  readonly dst: IPv4Address | IPv6Address;
  readonly protocol: number;
  readonly id: number;
  /**
   * The first fragment (offset 0) as received, or null if it never came:
   * ICMP Time Exceeded is sent only when it did (RFC 792, RFC 8200 §4.5).
   */
  readonly firstFragment: Uint8Array | null;
  readonly fragments: number;
}

/** Configuration for a {@link ReassemblyBuffer}. */
export interface ReassemblyOptions {
  /** Timers of the owning stack; the timeouts run on its clock. */
  readonly timers: TimerScheduler;
  /** IPv4 reassembly timeout, µs (default 30 s, Linux's ipfrag_time). */
  readonly timeoutV4Us?: number;
  /** IPv6 reassembly timeout, µs (default 60 s, RFC 8200 §4.5). */
  readonly timeoutV6Us?: number;
  /** Cap on the memory of all datagrams in progress, bytes (default 4 MiB, Linux's ipfrag_high_thresh). */
  readonly maxMemory?: number;
  /** Cap on one datagram's memory, bytes (default 128 KiB). */
  readonly maxDatagramMemory?: number;
  /** Cap on one datagram's fragment count (default 256). */
  readonly maxFragments?: number;
  /** Seeds the key hash so that collisions cannot be chosen from outside. */
  readonly random?: RandomSource;
  /** Called when a datagram times out (after it has been removed). */
  readonly onTimeout?: (event: ReassemblyTimeout) => void;
}

/** Bookkeeping cost charged per datagram and per fragment, on top of the bytes kept. */
export const REASSEMBLY_DATAGRAM_OVERHEAD = 256;
export const REASSEMBLY_FRAGMENT_OVERHEAD = 64;

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_NONE = 59;

/**
 * Bytes of upper-layer header the first fragment must hold. The fixed part
 * of TCP, UDP and ICMP(v6) headers, as Linux's ipv6frag_thdr_truncated
 * checks; one byte for other protocols, nothing after No Next Header.
 */
export function upperLayerMinHeader(protocol: number): number {
  switch (protocol) {
    case IPPROTO_TCP:
      return 20;
    case IPPROTO_UDP:
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      return 8;
    case IPPROTO_NONE:
      return 0;
    default:
      return 1;
  }
}

interface Piece {
  offset: number;
  end: number;
  data: Uint8Array;
}

/** One datagram being reassembled. Addresses are kept once per datagram. */
class Datagram {
  /** Next datagram in the same hash bucket. */
  chain: Datagram | null = null;
  readonly pieces: Piece[] = [];
  received = 0;
  /** Highest end offset seen so far. */
  maxEnd = 0;
  /** Length of the data, known once the last fragment came; -1 before. */
  total = -1;
  /** The first fragment's bytes before its data (v4 header; v6 unfragmentable part + Fragment header). */
  header: Uint8Array | null = null;
  /** v6: length of the unfragmentable part; v4: header length. */
  headerLength = 0;
  /** v6: offset of the Next Header byte naming the Fragment header. */
  nextHeaderField = 0;
  memory = REASSEMBLY_DATAGRAM_OVERHEAD;
  readonly timer: Timer;

  constructor(
    readonly hash: number,
    readonly family: 4 | 6,
    readonly src4: number,
    readonly dst4: number,
    readonly src6: Uint8Array | null,
    readonly dst6: Uint8Array | null,
    readonly protocol: number,
    readonly id: number,
    expire: (d: Datagram) => void,
  ) {
    this.timer = new Timer(() => expire(this), 'reassembly');
  }
}

const PENDING: ReassemblyResult = Object.freeze({ status: 'pending' });

const DROP_REASONS: readonly ReassemblyDropReason[] = [
  'frag-duplicate', 'frag-overlap', 'frag-tiny-first', 'frag-tcp-offset-one', 'frag-bad-length',
  'frag-empty', 'frag-too-long', 'frag-bad-end', 'frag-memory', 'frag-datagram-limit',
];

function makeDrops(datagramDiscarded: boolean): Readonly<Record<ReassemblyDropReason, ReassemblyResult>> {
  const table = {} as Record<ReassemblyDropReason, ReassemblyResult>;
  for (const reason of DROP_REASONS) {
    table[reason] = Object.freeze({ status: 'dropped' as const, reason, datagramDiscarded, icmp: null });
  }
  return Object.freeze(table);
}

/** Drop results without ICMP, built once (immutable data, shared harmlessly between stacks). */
const DROPS_KEEP = makeDrops(false);
const DROPS_DISCARD = makeDrops(true);

function dropped(reason: ReassemblyDropReason, datagramDiscarded: boolean): ReassemblyResult {
  return (datagramDiscarded ? DROPS_DISCARD : DROPS_KEEP)[reason];
}

function droppedIcmp(reason: ReassemblyDropReason, code: number, pointer: number): ReassemblyResult {
  return { status: 'dropped', reason, datagramDiscarded: false, icmp: { code, pointer } };
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h ^ (h >>> 16)) >>> 0;
}

function sameAddr(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The reassembly buffer of one stack. Feed it fragments with
 * {@link acceptIpv4} / {@link acceptIpv6}; each call says whether the
 * fragment is pending, completed a datagram, or was dropped and why.
 */
export class ReassemblyBuffer {
  private readonly buckets = new Map<number, Datagram>();
  private readonly seed: number;
  private readonly timeoutV4: number;
  private readonly timeoutV6: number;
  private readonly maxMemory: number;
  private readonly maxDatagramMemory: number;
  private readonly maxFragments: number;
  private readonly expireFn = (d: Datagram): void => this.expire(d);
  private mem = 0;
  private count = 0;

  constructor(private readonly opts: ReassemblyOptions) {
    this.seed = opts.random ? opts.random.u32() : 0x2545f491;
    this.timeoutV4 = opts.timeoutV4Us ?? 30_000_000;
    this.timeoutV6 = opts.timeoutV6Us ?? 60_000_000;
    this.maxMemory = opts.maxMemory ?? 4 * 1024 * 1024;
    this.maxDatagramMemory = opts.maxDatagramMemory ?? 128 * 1024;
    this.maxFragments = opts.maxFragments ?? 256;
  }

  /** Datagrams in progress. */
  get datagrams(): number {
    return this.count;
  }

  /** Bytes charged against the memory cap. */
  get memory(): number {
    return this.mem;
  }

  /**
   * Takes an IPv4 fragment (`h` parsed from `packet`, with MF set or a
   * non-zero offset). A non-fragment passes straight through.
   */
  acceptIpv4(packet: Uint8Array, h: Ipv4Header): ReassemblyResult {
    const hl = h.headerLength;
    let len = h.totalLength - hl;
    if (!h.mf && h.fragmentOffset === 0) {
      return { status: 'complete', packet: packet.subarray(0, h.totalLength), fragments: 1, atomic: true };
    }
    if (h.mf) len &= ~7; // Linux trims a non-last fragment to 8-byte units.
    if (h.fragmentOffset === 0 && h.mf && len < upperLayerMinHeader(h.protocol)) return dropped('frag-tiny-first', false);
    if (h.fragmentOffset === 8 && h.protocol === IPPROTO_TCP) return dropped('frag-tcp-offset-one', false);
    if (hl + h.fragmentOffset + len > 0xffff) return dropped('frag-too-long', false);
    const hash = mix(mix(mix(mix(this.seed, h.src), h.dst), (h.protocol << 16) | h.id), 4);
    const d = this.find(hash, 4, h.src, h.dst, null, null, h.protocol, h.id);
    return this.insert(d, hash, 4, h.src, h.dst, null, null, h.protocol, h.id, h.fragmentOffset, h.mf, packet, hl, hl, hl + len, 0);
  }

  /**
   * Takes an IPv6 packet with a Fragment header (`ip` parsed from `packet`,
   * `frag` from walking its extension headers). An atomic fragment comes
   * back at once, without its Fragment header, and leaves any datagram with
   * the same identification alone (RFC 6946 §4).
   */
  acceptIpv6(packet: Uint8Array, ip: Ipv6Packet, frag: Ipv6FragmentInfo): ReassemblyResult {
    const end = IPV6_HEADER_LEN + ip.payloadLength;
    const len = end - frag.dataOffset;
    const unfrag = frag.headerOffset;
    if (len < 0) return dropped('frag-empty', false);
    if (frag.offset === 0 && !frag.more) {
      const out = new Uint8Array(unfrag + len);
      out.set(packet.subarray(0, unfrag));
      out.set(packet.subarray(frag.dataOffset, end), unfrag);
      writeU16(out, IPV6_F_PAYLOAD_LENGTH, out.length - IPV6_HEADER_LEN);
      out[frag.nextHeaderField] = frag.nextHeader;
      return { status: 'complete', packet: out, fragments: 1, atomic: true };
    }
    // RFC 8200 §4.5: non-last fragments are multiples of 8 octets.
    if (frag.more && (len & 7) !== 0) return droppedIcmp('frag-bad-length', PARAM_PROBLEM_HEADER, IPV6_F_PAYLOAD_LENGTH);
    if (unfrag - IPV6_HEADER_LEN + frag.offset + len > 0xffff) {
      return droppedIcmp('frag-too-long', PARAM_PROBLEM_HEADER, frag.headerOffset + 2);
    }
    if (frag.offset === 0 && this.tinyV6(packet, frag, end)) {
      return droppedIcmp('frag-tiny-first', PARAM_PROBLEM_INCOMPLETE_CHAIN, 0);
    }
    const src = ip.src;
    const dst = ip.dst;
    let hash = this.seed;
    for (let i = 0; i < 16; i += 4) hash = mix(mix(hash, readU32(src, i)), readU32(dst, i));
    hash = mix(mix(hash, frag.identification), (frag.nextHeader << 8) | 6);
    const d = this.find(hash, 6, 0, 0, src, dst, frag.nextHeader, frag.identification);
    return this.insert(
      d, hash, 6, 0, 0, src, dst, frag.nextHeader, frag.identification,
      frag.offset, frag.more, packet, unfrag, frag.dataOffset, end, frag.nextHeaderField,
    );
  }

  /** Drops every datagram in progress and disarms their timers (stack shutdown). */
  clear(): void {
    for (const head of this.buckets.values()) {
      for (let d: Datagram | null = head; d !== null; d = d.chain) this.opts.timers.disarm(d.timer);
    }
    this.buckets.clear();
    this.mem = 0;
    this.count = 0;
  }

  /**
   * RFC 8200 §4.5 / RFC 7112: the first fragment must hold every extension
   * header and the upper-layer header. A chain cut short counts as tiny.
   */
  private tinyV6(packet: Uint8Array, frag: Ipv6FragmentInfo, end: number): boolean {
    const w = walkIpv6Extensions(packet, frag.nextHeader, frag.dataOffset, end, {
      hopByHopAllowed: false,
      nextHeaderField: frag.headerOffset,
    });
    if (!w.ok) return w.reason === 'ipv6-ext-truncated';
    if (w.value.fragment !== null) return false;
    return w.value.payloadOffset + upperLayerMinHeader(w.value.protocol) > end;
  }

  private find(
    hash: number,
    family: 4 | 6,
    src4: number,
    dst4: number,
    src6: Uint8Array | null,
    dst6: Uint8Array | null,
    protocol: number,
    id: number,
  ): Datagram | null {
    for (let d = this.buckets.get(hash) ?? null; d !== null; d = d.chain) {
      if (d.hash !== hash || d.family !== family || d.protocol !== protocol || d.id !== id) continue;
      if (family === 4 ? d.src4 === src4 && d.dst4 === dst4 : sameAddr(d.src6!, src6!) && sameAddr(d.dst6!, dst6!)) {
        return d;
      }
    }
    return null;
  }

  private insert(
    existing: Datagram | null,
    hash: number,
    family: 4 | 6,
    src4: number,
    dst4: number,
    src6: Uint8Array | null,
    dst6: Uint8Array | null,
    protocol: number,
    id: number,
    offset: number,
    more: boolean,
    packet: Uint8Array,
    headerLength: number,
    dataOffset: number,
    dataEnd: number,
    nextHeaderField: number,
  ): ReassemblyResult {
    const len = dataEnd - dataOffset;
    const end = offset + len;
    if (len <= 0) {
      // Linux: an empty fragment means a corrupted datagram.
      if (existing !== null) this.remove(existing);
      return dropped('frag-empty', existing !== null);
    }
    let d = existing;
    if (d !== null) {
      // Contradictions with the known end (Linux's "corrupted" checks).
      if (!more ? end < d.maxEnd || (d.total >= 0 && end !== d.total) : d.total >= 0 && end > d.total) {
        this.remove(d);
        return dropped('frag-bad-end', true);
      }
    }
    const cost = REASSEMBLY_FRAGMENT_OVERHEAD + len + (offset === 0 ? dataOffset : 0);
    const fresh = d === null;
    if (this.mem + cost + (fresh ? REASSEMBLY_DATAGRAM_OVERHEAD : 0) > this.maxMemory) return dropped('frag-memory', false);
    if (d === null) {
      d = new Datagram(
        hash, family, src4, dst4, src6 === null ? null : src6.slice(0, 16), dst6 === null ? null : dst6.slice(0, 16),
        protocol, id, this.expireFn,
      );
      this.link(d);
      this.mem += d.memory;
      this.opts.timers.armIn(d.timer, family === 4 ? this.timeoutV4 : this.timeoutV6);
    }
    // Find the pieces that overlap [offset, end): those from the first ending after `offset`.
    const pieces = d.pieces;
    let lo = 0;
    let hi = pieces.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pieces[mid]!.end <= offset) lo = mid + 1;
      else hi = mid;
    }
    let covered = offset;
    let gap = false;
    let j = lo;
    for (; j < pieces.length && pieces[j]!.offset < end; j++) {
      if (pieces[j]!.offset > covered) gap = true;
      if (pieces[j]!.end > covered) covered = pieces[j]!.end;
    }
    if (j > lo) {
      if (!gap && covered >= end) return dropped('frag-duplicate', false);
      this.remove(d);
      return dropped('frag-overlap', true);
    }
    if (d.memory + cost > this.maxDatagramMemory || pieces.length >= this.maxFragments) {
      this.remove(d);
      return dropped('frag-datagram-limit', true);
    }
    pieces.splice(lo, 0, { offset, end, data: packet.slice(dataOffset, dataEnd) });
    d.memory += cost;
    this.mem += cost;
    d.received += len;
    if (end > d.maxEnd) d.maxEnd = end;
    if (!more) d.total = end;
    if (offset === 0) {
      d.header = packet.slice(0, dataOffset);
      d.headerLength = headerLength;
      d.nextHeaderField = nextHeaderField;
    }
    if (d.total < 0 || d.received !== d.total) return PENDING;
    return this.complete(d);
  }

  private complete(d: Datagram): ReassemblyResult {
    this.remove(d);
    const header = d.header!;
    const hl = d.headerLength;
    const out = new Uint8Array(hl + d.total);
    out.set(header.subarray(0, hl));
    for (const p of d.pieces) out.set(p.data, hl + p.offset);
    if (d.family === 4) {
      if (out.length > 0xffff) return dropped('frag-too-long', true);
      writeU16(out, 2, out.length);
      // Keep the reserved and DF bits of the first fragment; clear MF and the offset.
      writeU16(out, 6, readU16(out, 6) & 0xc000);
      writeU16(out, 10, 0);
      writeU16(out, 10, internetChecksum(out, 0, hl));
    } else {
      if (out.length - IPV6_HEADER_LEN > 0xffff) return dropped('frag-too-long', true);
      writeU16(out, IPV6_F_PAYLOAD_LENGTH, out.length - IPV6_HEADER_LEN);
      out[d.nextHeaderField] = d.protocol;
    }
    return { status: 'complete', packet: out, fragments: d.pieces.length, atomic: false };
  }

  private expire(d: Datagram): void {
    this.unlink(d);
    let first: Uint8Array | null = null;
    const p0 = d.pieces[0];
    if (d.header !== null && p0 !== undefined && p0.offset === 0) {
      first = new Uint8Array(d.header.length + p0.data.length);
      first.set(d.header);
      first.set(p0.data, d.header.length);
    }
    this.opts.onTimeout?.({
      family: d.family,
      src: d.family === 4 ? d.src4 : d.src6!,
      dst: d.family === 4 ? d.dst4 : d.dst6!,
      protocol: d.protocol,
      id: d.id,
      firstFragment: first,
      fragments: d.pieces.length,
    });
  }

  private link(d: Datagram): void {
    d.chain = this.buckets.get(d.hash) ?? null;
    this.buckets.set(d.hash, d);
    this.count++;
  }

  /** Takes `d` out of the table and releases its memory; its timer stops. */
  private remove(d: Datagram): void {
    this.opts.timers.disarm(d.timer);
    this.unlink(d);
  }

  private unlink(d: Datagram): void {
    const head = this.buckets.get(d.hash);
    if (head === d) {
      if (d.chain === null) this.buckets.delete(d.hash);
      else this.buckets.set(d.hash, d.chain);
    } else {
      for (let p = head ?? null; p !== null; p = p.chain) {
        if (p.chain === d) {
          p.chain = d.chain;
          break;
        }
      }
    }
    d.chain = null;
    this.mem -= d.memory;
    this.count--;
  }
}
