import { readIPv4, writeIPv4, type IPv4Address } from '../core/address.js';
import { readU16, writeU16 } from '../core/bytes.js';
import type { PacketBuffer } from '../core/packet-buffer.js';
import { fail, type ParseResult } from '../core/result.js';
import { internetChecksum, updateChecksum16 } from './checksum.js';
import { padIpv4Options } from './ipv4-options.js';

/**
 * IPv4 header codec (RFC 791 §3.1).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |R|D|M|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (IHL > 5)          |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * (TOS byte split into DSCP/ECN by RFC 2474 and RFC 3168; flag R is
 * reserved and must be zero, D = Don't Fragment, M = More Fragments.)
 */
export const IPV4_HEADER_LEN = 20;
/** IHL is 4 bits of 32-bit words: at most 60 bytes of header, 40 of options. */
export const IPV4_MAX_HEADER_LEN = 60;
export const IPV4_MAX_OPTIONS_LEN = 40;
export const IPV4_DEFAULT_TTL = 64;

const F_VER_IHL = 0;
const F_TOS = 1;
const F_TOTAL_LEN = 2;
const F_ID = 4;
const F_FLAGS_FRAG = 6;
const F_TTL = 8;
const F_PROTOCOL = 9;
const F_CHECKSUM = 10;
const F_SRC = 12;
const F_DST = 16;

const FLAG_RESERVED = 0x8000;
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FRAG_OFFSET_MASK = 0x1fff;

/**
 * A parsed IPv4 header. Options and payload are views into the packet.
 * Numbers are as on the wire, except `fragmentOffset`, which is in bytes.
 */
export interface Ipv4Header {
  readonly version: number;
  /** Header length in 32-bit words, as in the field. */
  readonly ihl: number;
  /** Header length in bytes (ihl·4). */
  readonly headerLength: number;
  /** The whole second byte (RFC 791 type of service; DSCP + ECN today). */
  readonly tos: number;
  /** Differentiated services code point, the upper 6 bits of `tos` (RFC 2474). */
  readonly dscp: number;
  /** Explicit congestion notification, the lower 2 bits of `tos` (RFC 3168). */
  readonly ecn: number;
  readonly totalLength: number;
  readonly id: number;
  /** The 3 flag bits (reserved, DF, MF) as a number 0..7. */
  readonly flags: number;
  readonly df: boolean;
  readonly mf: boolean;
  /** Fragment offset in bytes (the field counts 8-byte units). */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly headerChecksum: number;
  readonly src: IPv4Address;
  readonly dst: IPv4Address;
  /** Raw option bytes (header bytes 20..headerLength), padding included; see `walkIpv4Options`. */
  readonly options: Uint8Array;
  /** Bytes headerLength..totalLength: link-layer padding after the datagram is excluded. */
  readonly payload: Uint8Array;
}

/**
 * Parses and validates an IPv4 header, following the receive checks of RFC
 * 1122 §3.2.1.1-2 in the order Linux's ip_rcv_core applies them. Never
 * throws. Each failure reason maps to the Linux counter(s) the IP layer
 * should bump:
 *
 * | reason                  | meaning                                   | counters                              |
 * |-------------------------|-------------------------------------------|---------------------------------------|
 * | `ipv4-truncated`        | fewer bytes than 20, or than IHL·4         | IpInHdrErrors                         |
 * | `ipv4-bad-version`      | version is not 4 (§3.2.1.1)               | IpInHdrErrors                         |
 * | `ipv4-bad-ihl`          | IHL below 5                               | IpInHdrErrors                         |
 * | `ipv4-bad-checksum`     | header checksum wrong (§3.2.1.2)          | IpExtInCsumErrors **and** IpInHdrErrors |
 * | `ipv4-truncated-packet` | total length beyond the bytes received    | IpExtInTruncatedPkts                  |
 * | `ipv4-bad-total-length` | total length below the header length      | IpInHdrErrors                         |
 *
 * Bad checksums are a distinct reason (rather than a flag on the result)
 * so that the usual path stays `if (!r.ok) drop(r.reason)`. Pass
 * `verifyChecksum = false` to skip the check — for packets whose checksum
 * was already verified (offload, loopback) or for tools that want to show
 * a damaged header; {@link ipv4HeaderChecksumValid} then tells validity.
 *
 * Address checks (§3.2.1.3) need the interface's addresses and belong to
 * the IP layer; options are kept raw and checked by `walkIpv4Options`.
 */
export function parseIpv4(b: Uint8Array, verifyChecksum = true): ParseResult<Ipv4Header> {
  if (b.length < IPV4_HEADER_LEN) return fail('ipv4-truncated');
  const verIhl = b[F_VER_IHL]!;
  const version = verIhl >>> 4;
  if (version !== 4) return fail('ipv4-bad-version');
  const ihl = verIhl & 0x0f;
  if (ihl < 5) return fail('ipv4-bad-ihl');
  const headerLength = ihl << 2;
  if (b.length < headerLength) return fail('ipv4-truncated');
  if (verifyChecksum && internetChecksum(b, 0, headerLength) !== 0) return fail('ipv4-bad-checksum');
  const totalLength = readU16(b, F_TOTAL_LEN);
  if (totalLength > b.length) return fail('ipv4-truncated-packet');
  if (totalLength < headerLength) return fail('ipv4-bad-total-length');
  const tos = b[F_TOS]!;
  const ff = readU16(b, F_FLAGS_FRAG);
  return {
    ok: true,
    value: {
      version,
      ihl,
      headerLength,
      tos,
      dscp: tos >>> 2,
      ecn: tos & 3,
      totalLength,
      id: readU16(b, F_ID),
      flags: ff >>> 13,
      df: (ff & FLAG_DF) !== 0,
      mf: (ff & FLAG_MF) !== 0,
      fragmentOffset: (ff & FRAG_OFFSET_MASK) << 3,
      ttl: b[F_TTL]!,
      protocol: b[F_PROTOCOL]!,
      headerChecksum: readU16(b, F_CHECKSUM),
      src: readIPv4(b, F_SRC),
      dst: readIPv4(b, F_DST),
      options: b.subarray(IPV4_HEADER_LEN, headerLength),
      payload: b.subarray(headerLength, totalLength),
    },
  };
}

/**
 * True when `b` starts with an IPv4 header (IHL ≥ 5, all of it present)
 * whose checksum verifies over IHL·4 bytes. Never throws.
 */
export function ipv4HeaderChecksumValid(b: Uint8Array): boolean {
  if (b.length < IPV4_HEADER_LEN) return false;
  const headerLength = (b[F_VER_IHL]! & 0x0f) << 2;
  if (headerLength < IPV4_HEADER_LEN || b.length < headerLength) return false;
  return internetChecksum(b, 0, headerLength) === 0;
}

/** True if the datagram is a fragment (first, middle or last) rather than a whole datagram. */
export function isIpv4Fragment(h: Ipv4Header): boolean {
  return h.mf || h.fragmentOffset !== 0;
}

/**
 * Fields for building a header. Every derived field (version, IHL, total
 * length, checksum) is computed unless given, so fuzzers can lie.
 */
export interface Ipv4Spec {
  src: IPv4Address;
  dst: IPv4Address;
  protocol: number;
  /** Default {@link IPV4_DEFAULT_TTL} (Linux's net.ipv4.ip_default_ttl). */
  ttl?: number;
  /** The whole TOS byte: DSCP << 2 | ECN. Default 0. */
  tos?: number;
  /** Identification. Default 0; choosing it (RFC 6864, RFC 7739) is the IP layer's job. */
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Sets the reserved flag bit, which RFC 791 says must be zero (for fuzzing). */
  reservedFlag?: boolean;
  /** Fragment offset in bytes; a multiple of 8 up to 65528. Default 0. */
  fragmentOffset?: number;
  /** Raw option bytes; zero (EOL) padded to a multiple of 4. At most 40 bytes unless `ihl` is given. */
  options?: Uint8Array;
  /** Override the version nibble (default 4). */
  version?: number;
  /** Override the IHL field (default: (20 + padded options) / 4). The bytes written do not change. */
  ihl?: number;
  /** Override the total length (default: header + payload). */
  totalLength?: number;
  /** Override the header checksum (default: computed over the header as written). */
  checksum?: number;
}

/** The header length a spec writes: 20 plus its options padded to 4 bytes. */
export function ipv4HeaderLength(spec: Ipv4Spec): number {
  const n = spec.options?.length ?? 0;
  return IPV4_HEADER_LEN + ((n + 3) & ~3);
}

/**
 * Writes the header for `spec` at `b[o..)`, followed (by assumption) by
 * `payloadLen` payload bytes. Returns the header length. Throws only on
 * programmer error: an unrepresentable fragment offset, options that do
 * not fit IHL or a datagram over 65535 bytes while the field is not overridden.
 */
export function writeIpv4HeaderAt(b: Uint8Array, o: number, spec: Ipv4Spec, payloadLen: number): number {
  const frag = spec.fragmentOffset ?? 0;
  if (frag < 0 || frag > FRAG_OFFSET_MASK << 3 || frag % 8 !== 0) {
    throw new RangeError('writeIpv4Header: fragmentOffset must be a multiple of 8 in 0..65528');
  }
  const opts = spec.options === undefined ? undefined : padIpv4Options(spec.options);
  const hl = IPV4_HEADER_LEN + (opts?.length ?? 0);
  if (hl > IPV4_MAX_HEADER_LEN && spec.ihl === undefined) {
    throw new RangeError('writeIpv4Header: more than 40 option bytes need an explicit ihl');
  }
  if (spec.totalLength === undefined && hl + payloadLen > 0xffff) {
    throw new RangeError('writeIpv4Header: datagram longer than 65535 bytes (fragment it first)');
  }
  b[o + F_VER_IHL] = (((spec.version ?? 4) & 0x0f) << 4) | ((spec.ihl ?? hl >>> 2) & 0x0f);
  b[o + F_TOS] = (spec.tos ?? 0) & 0xff;
  writeU16(b, o + F_TOTAL_LEN, spec.totalLength ?? hl + payloadLen);
  writeU16(b, o + F_ID, spec.id ?? 0);
  const flags =
    (spec.reservedFlag === true ? FLAG_RESERVED : 0) |
    (spec.df === true ? FLAG_DF : 0) |
    (spec.mf === true ? FLAG_MF : 0);
  writeU16(b, o + F_FLAGS_FRAG, flags | (frag >>> 3));
  b[o + F_TTL] = (spec.ttl ?? IPV4_DEFAULT_TTL) & 0xff;
  b[o + F_PROTOCOL] = spec.protocol & 0xff;
  writeU16(b, o + F_CHECKSUM, 0);
  writeIPv4(b, o + F_SRC, spec.src);
  writeIPv4(b, o + F_DST, spec.dst);
  if (opts !== undefined) b.set(opts, o + IPV4_HEADER_LEN);
  writeU16(b, o + F_CHECKSUM, spec.checksum ?? internetChecksum(b, o, o + hl));
  return hl;
}

/**
 * Prepends an IPv4 header in front of the payload already in `pkt` (the
 * transport's segment); the default total length is the resulting view.
 */
export function writeIpv4Header(pkt: PacketBuffer, spec: Ipv4Spec): void {
  const payloadLen = pkt.length;
  const o = pkt.prepend(ipv4HeaderLength(spec));
  writeIpv4HeaderAt(pkt.buf, o, spec, payloadLen);
}

/** Builds a whole datagram (header + a copy of `payload`) in a new buffer. */
export function buildIpv4(spec: Ipv4Spec, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const hl = ipv4HeaderLength(spec);
  const b = new Uint8Array(hl + payload.length);
  b.set(payload, hl);
  writeIpv4HeaderAt(b, 0, spec, payload.length);
  return b;
}

/**
 * Rewrites the TTL of the header at `b[o..)` and patches its checksum
 * incrementally (RFC 1624 eqn. 3, via `updateChecksum16`) instead of
 * recomputing it: the forwarding path's per-hop decrement (RFC 1812 §5.3.1).
 * TTL shares a 16-bit word with the protocol, which is unchanged.
 */
export function setIpv4Ttl(b: Uint8Array, ttl: number, o = 0): void {
  const proto = b[o + F_PROTOCOL]!;
  const oldWord = (b[o + F_TTL]! << 8) | proto;
  const newWord = ((ttl & 0xff) << 8) | proto;
  b[o + F_TTL] = ttl & 0xff;
  writeU16(b, o + F_CHECKSUM, updateChecksum16(readU16(b, o + F_CHECKSUM), oldWord, newWord));
}
