import type { IPv4Address, IPv6Address } from '../core/address.js';
import { readU16, readU32, writeU16, writeU32 } from '../core/bytes.js';
import { fail, type ParseResult } from '../core/result.js';
import { finishChecksum, pseudoSum, sumBytes } from '../ip/checksum.js';

/**
 * TCP header codec (RFC 9293 §3.1, control bits from RFC 3168 and AccECN).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |  Rsv|A|C|E|U|A|P|R|S|F|                               |
 * | Offset|     |E|W|C|R|C|S|S|Y|I|            Window             |
 * |       |     | |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                             Data                              |
 * ```
 *
 * Flags are kept as one 9-bit number: the low 8 bits are byte 13, bit 8 is
 * the AE bit (formerly NS, RFC 3540) from byte 12.
 */
export const TCP_HEADER_LEN = 20;
/** Largest header: data offset 15 words. */
export const TCP_MAX_HEADER_LEN = 60;
export const IPPROTO_TCP = 6;

const F_SRC_PORT = 0;
const F_DST_PORT = 2;
const F_SEQ = 4;
const F_ACK = 8;
const F_OFFSET = 12;
const F_FLAGS = 13;
const F_WINDOW = 14;
const F_CHECKSUM = 16;
const F_URGENT = 18;

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;
/** Accurate ECN bit (was NS). */
export const AE = 0x100;

/** A parsed segment. `options` and `payload` are views into the packet, not copies. */
export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Header length in 32-bit words as received (5..15). */
  dataOffset: number;
  /** FIN..CWR in bits 0-7, AE in bit 8. */
  flags: number;
  /** The three reserved bits of byte 12 (0 on a well-formed segment). */
  reserved: number;
  window: number;
  checksum: number;
  urgent: number;
  options: Uint8Array;
  payload: Uint8Array;
}

/** The options view of a segment without options (shared: it is empty, nothing can write to it). */
const NO_OPTIONS = new Uint8Array(0);

/** A reusable segment view, filled in place by {@link decodeTcpInto} (no allocation per segment). */
export function emptyTcpSegment(): TcpSegment {
  const empty = new Uint8Array(0);
  return {
    srcPort: 0, dstPort: 0, seq: 0, ack: 0, dataOffset: 5, flags: 0, reserved: 0,
    window: 0, checksum: 0, urgent: 0, options: empty, payload: empty,
  };
}

/**
 * Fills `out` from the bytes `b` (exactly one TCP segment: the IP payload).
 * Returns null when well formed, or the drop reason. Never throws; the
 * checksum is checked separately ({@link tcpChecksumValid}) because it needs
 * the pseudo-header. With `optionsView` false, `out.options` is left empty
 * and the caller parses the options in place (`b[20, dataOffset·4)`): the
 * receive path saves a view per segment that way.
 */
export function decodeTcpInto(b: Uint8Array, out: TcpSegment, optionsView = true): string | null {
  if (b.length < TCP_HEADER_LEN) return 'tcp-truncated';
  const off = b[F_OFFSET]! >>> 4;
  // RFC 9293 §3.1: the data offset counts the header in words; below 5 it
  // cannot even cover the fixed header.
  if (off < 5) return 'tcp-bad-data-offset';
  const hlen = off * 4;
  if (hlen > b.length) return 'tcp-bad-data-offset';
  out.srcPort = readU16(b, F_SRC_PORT);
  out.dstPort = readU16(b, F_DST_PORT);
  out.seq = readU32(b, F_SEQ);
  out.ack = readU32(b, F_ACK);
  out.dataOffset = off;
  out.flags = b[F_FLAGS]! | ((b[F_OFFSET]! & 0x01) << 8);
  out.reserved = (b[F_OFFSET]! >>> 1) & 0x07;
  out.window = readU16(b, F_WINDOW);
  out.checksum = readU16(b, F_CHECKSUM);
  out.urgent = readU16(b, F_URGENT);
  out.options = optionsView && hlen > TCP_HEADER_LEN ? b.subarray(TCP_HEADER_LEN, hlen) : NO_OPTIONS;
  out.payload = b.subarray(hlen);
  return null;
}

/** Parses one segment into a fresh object (convenient outside the hot path). */
export function parseTcp(b: Uint8Array): ParseResult<TcpSegment> {
  const seg = emptyTcpSegment();
  const reason = decodeTcpInto(b, seg);
  return reason === null ? { ok: true, value: seg } : fail(reason);
}

/** True when the checksum over the pseudo-header and the whole segment `b` is right (RFC 9293 §3.1). */
export function tcpChecksumValid(b: Uint8Array, src: IPv4Address | IPv6Address, dst: IPv4Address | IPv6Address): boolean {
  return finishChecksum(sumBytes(b, 0, b.length, pseudoSum(src, dst, IPPROTO_TCP, b.length))) === 0;
}

/**
 * Writes the fixed 20-byte header at `b[o..]` with the checksum field zeroed
 * and a data offset covering `optLen` bytes of options (a multiple of 4).
 * The transmit fast path; {@link writeTcpHeader} is the general form.
 */
export function writeTcpFixed(
  b: Uint8Array, o: number,
  srcPort: number, dstPort: number, seq: number, ack: number,
  flags: number, window: number, optLen: number,
): void {
  writeU16(b, o + F_SRC_PORT, srcPort);
  writeU16(b, o + F_DST_PORT, dstPort);
  writeU32(b, o + F_SEQ, seq >>> 0);
  writeU32(b, o + F_ACK, ack >>> 0);
  b[o + F_OFFSET] = (((TCP_HEADER_LEN + optLen) >>> 2) << 4) | ((flags >>> 8) & 1);
  b[o + F_FLAGS] = flags & 0xff;
  writeU16(b, o + F_WINDOW, window);
  writeU16(b, o + F_CHECKSUM, 0);
  writeU16(b, o + F_URGENT, 0);
}

/** Computes and stores the checksum of the segment `b[o..o+len)` (header, options and payload in place). */
export function fillTcpChecksum(
  b: Uint8Array, o: number, len: number, src: IPv4Address | IPv6Address, dst: IPv4Address | IPv6Address,
): void {
  writeU16(b, o + F_CHECKSUM, 0);
  writeU16(b, o + F_CHECKSUM, finishChecksum(sumBytes(b, o, o + len, pseudoSum(src, dst, IPPROTO_TCP, len))));
}

/** Fields for building a segment. Every derived field may be overridden (fuzzers build malformed segments). */
export interface TcpSpec {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  /** Flag bits ({@link SYN} | {@link ACK} …); bit 8 is AE. */
  flags?: number;
  window?: number;
  urgent?: number;
  /** Raw option bytes (see options.ts for writers); padded with zero (EOL) bytes to a multiple of 4. */
  options?: Uint8Array;
  payload?: Uint8Array;
  /** Override the data offset field (words). Default: from the option length. */
  dataOffset?: number;
  /** The three reserved bits (default 0). */
  reserved?: number;
  /** Override the checksum. Default: computed when addresses are given, else 0. */
  checksum?: number;
}

/** Option bytes rounded up to a multiple of 4. */
export function paddedOptionsLength(spec: TcpSpec): number {
  return ((spec.options?.length ?? 0) + 3) & ~3;
}

/**
 * Writes header and options at `b[o..]`, assuming the payload already sits
 * right after them (`payloadLen` bytes), then the checksum if addresses are
 * given. Returns the header length written.
 */
export function writeTcpHeader(
  b: Uint8Array, o: number, spec: TcpSpec, payloadLen: number,
  src?: IPv4Address | IPv6Address, dst?: IPv4Address | IPv6Address,
): number {
  const optLen = paddedOptionsLength(spec);
  const hlen = TCP_HEADER_LEN + optLen;
  const flags = spec.flags ?? 0;
  writeTcpFixed(b, o, spec.srcPort, spec.dstPort, spec.seq ?? 0, spec.ack ?? 0, flags, spec.window ?? 0, optLen);
  const offWords = spec.dataOffset ?? hlen >>> 2;
  b[o + F_OFFSET] = ((offWords & 0x0f) << 4) | (((spec.reserved ?? 0) & 7) << 1) | ((flags >>> 8) & 1);
  writeU16(b, o + F_URGENT, spec.urgent ?? 0);
  if (spec.options) {
    b.set(spec.options, o + TCP_HEADER_LEN);
    b.fill(0, o + TCP_HEADER_LEN + spec.options.length, o + hlen);
  }
  if (spec.checksum !== undefined) writeU16(b, o + F_CHECKSUM, spec.checksum);
  else if (src !== undefined && dst !== undefined) fillTcpChecksum(b, o, hlen + payloadLen, src, dst);
  return hlen;
}

/** Builds a whole segment in a new buffer. */
export function buildTcp(spec: TcpSpec, src?: IPv4Address | IPv6Address, dst?: IPv4Address | IPv6Address): Uint8Array {
  const payload = spec.payload ?? new Uint8Array(0);
  const hlen = TCP_HEADER_LEN + paddedOptionsLength(spec);
  const b = new Uint8Array(hlen + payload.length);
  b.set(payload, hlen);
  writeTcpHeader(b, 0, spec, payload.length, src, dst);
  return b;
}

const FLAG_LETTERS: ReadonlyArray<readonly [number, string]> = [
  [FIN, 'F'], [SYN, 'S'], [RST, 'R'], [PSH, 'P'], [URG, 'U'], [ECE, 'E'], [CWR, 'W'], [AE, 'A'],
];

/**
 * Flags as tcpdump/packetdrill write them: `S`, `S.`, `P.`, `F.`, `R`, `.`
 * (ACK is the trailing dot), `-` for none.
 */
export function formatTcpFlags(flags: number): string {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) s += letter;
  if (flags & ACK) s += '.';
  return s === '' ? '-' : s;
}
