import type { IPv4Address, IPv6Address } from '../core/address.js';
import { readU16, writeU16 } from '../core/bytes.js';
import { fail, type ParseResult } from '../core/result.js';
import { finishChecksum, pseudoSum, sumBytes } from '../ip/checksum.js';

/**
 * UDP header codec (RFC 768).
 *
 * ```
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |     Source      |   Destination   |
 * |      Port       |      Port       |
 * +--------+--------+--------+--------+
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * ```
 */
export const UDP_HEADER_LEN = 8;
export const IPPROTO_UDP = 17;

const F_SRC_PORT = 0;
const F_DST_PORT = 2;
const F_LENGTH = 4;
const F_CHECKSUM = 6;

/** A parsed UDP datagram. `payload` is a view into the packet, not a copy. */
export interface UdpDatagram {
  readonly srcPort: number;
  readonly dstPort: number;
  /** The length field as received (header + payload). */
  readonly length: number;
  readonly checksum: number;
  readonly payload: Uint8Array;
}

/**
 * Parses a UDP datagram from the IP payload `b`. Validates structure only;
 * the checksum needs the pseudo-header, see {@link udpChecksumValid}.
 * Bytes beyond the length field (link padding) are ignored.
 */
export function parseUdp(b: Uint8Array): ParseResult<UdpDatagram> {
  if (b.length < UDP_HEADER_LEN) return fail('udp-truncated');
  const length = readU16(b, F_LENGTH);
  if (length < UDP_HEADER_LEN) return fail('udp-bad-length');
  if (length > b.length) return fail('udp-truncated');
  return {
    ok: true,
    value: {
      srcPort: readU16(b, F_SRC_PORT),
      dstPort: readU16(b, F_DST_PORT),
      length,
      checksum: readU16(b, F_CHECKSUM),
      payload: b.subarray(UDP_HEADER_LEN, length),
    },
  };
}

/**
 * Checks the checksum of a datagram `b` (exactly `length` bytes). Over IPv4 a
 * zero checksum means the sender computed none (RFC 768) and passes; over
 * IPv6 a zero checksum is invalid (RFC 8200 §8.1).
 */
export function udpChecksumValid(
  b: Uint8Array,
  src: IPv4Address | IPv6Address,
  dst: IPv4Address | IPv6Address,
): boolean {
  if (b.length < UDP_HEADER_LEN) return false;
  if (readU16(b, F_CHECKSUM) === 0) return typeof src === 'number';
  return finishChecksum(sumBytes(b, 0, b.length, pseudoSum(src, dst, IPPROTO_UDP, b.length))) === 0;
}

/** Fields for building a datagram. Derived fields are computed unless given (fuzzers give wrong ones). */
export interface UdpSpec {
  srcPort: number;
  dstPort: number;
  payload?: Uint8Array;
  /** Override the length field (default: header + payload). */
  length?: number;
  /**
   * Override the checksum field. Default: computed over the pseudo-header
   * when addresses are given, else 0 ("none", valid over IPv4 only).
   */
  checksum?: number;
}

/**
 * Writes a UDP header at `b[o..o+8)`, assuming the payload already sits right
 * after it (the transmit path places payload first and pushes headers in
 * front, avoiding a copy). `src`/`dst` select the pseudo-header for the checksum.
 */
export function writeUdpHeader(
  b: Uint8Array,
  o: number,
  spec: UdpSpec,
  payloadLen: number,
  src?: IPv4Address | IPv6Address,
  dst?: IPv4Address | IPv6Address,
): void {
  const total = UDP_HEADER_LEN + payloadLen;
  writeU16(b, o + F_SRC_PORT, spec.srcPort);
  writeU16(b, o + F_DST_PORT, spec.dstPort);
  writeU16(b, o + F_LENGTH, spec.length ?? total);
  writeU16(b, o + F_CHECKSUM, 0);
  let checksum = spec.checksum;
  if (checksum === undefined) {
    if (src !== undefined && dst !== undefined) {
      checksum = finishChecksum(sumBytes(b, o, o + total, pseudoSum(src, dst, IPPROTO_UDP, total)));
      // RFC 768: a computed checksum of zero is transmitted as all ones.
      if (checksum === 0) checksum = 0xffff;
    } else {
      checksum = 0;
    }
  }
  writeU16(b, o + F_CHECKSUM, checksum);
}

/** Builds a complete datagram in a new buffer. */
export function buildUdp(
  spec: UdpSpec,
  src?: IPv4Address | IPv6Address,
  dst?: IPv4Address | IPv6Address,
): Uint8Array {
  const payload = spec.payload ?? new Uint8Array(0);
  const b = new Uint8Array(UDP_HEADER_LEN + payload.length);
  b.set(payload, UDP_HEADER_LEN);
  writeUdpHeader(b, 0, spec, payload.length, src, dst);
  return b;
}
