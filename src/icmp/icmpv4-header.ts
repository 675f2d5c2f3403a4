import { readIPv4, type IPv4Address } from '../core/address.js';
import { readU16, readU32, writeU16, writeU32 } from '../core/bytes.js';
import { PacketBuffer } from '../core/packet-buffer.js';
import { fail, type ParseResult } from '../core/result.js';
import { internetChecksum } from '../ip/checksum.js';

/**
 * ICMPv4 message codec (RFC 792; RFC 1191 for the next-hop MTU).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  rest of header (by type)                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  body: echo data, or for errors the original IP header + data |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * rest of header:  echo/timestamp/info: identifier(16) sequence(16)
 *                  frag needed (3/4):   unused(16) next-hop MTU(16)
 *                  parameter problem:   pointer(8) unused(24)
 *                  redirect:            gateway address(32)
 *                  other errors:        unused(32)
 * ```
 * The checksum covers the whole message, no pseudo-header.
 */
export const ICMPV4_HEADER_LEN = 8;

// Types (RFC 792 unless noted).
export const ICMPV4_ECHO_REPLY = 0;
export const ICMPV4_DEST_UNREACH = 3;
/** Deprecated by RFC 6633; hosts must ignore it. */
export const ICMPV4_SOURCE_QUENCH = 4;
export const ICMPV4_REDIRECT = 5;
export const ICMPV4_ECHO_REQUEST = 8;
/** RFC 1256. */
export const ICMPV4_ROUTER_ADVERT = 9;
/** RFC 1256. */
export const ICMPV4_ROUTER_SOLICIT = 10;
export const ICMPV4_TIME_EXCEEDED = 11;
export const ICMPV4_PARAM_PROBLEM = 12;
export const ICMPV4_TIMESTAMP = 13;
export const ICMPV4_TIMESTAMP_REPLY = 14;
/** Obsolete (RFC 6918). */
export const ICMPV4_INFO_REQUEST = 15;
/** Obsolete (RFC 6918). */
export const ICMPV4_INFO_REPLY = 16;
/** RFC 950, obsolete (RFC 6918). */
export const ICMPV4_ADDRESS_MASK_REQUEST = 17;
/** RFC 950, obsolete (RFC 6918). */
export const ICMPV4_ADDRESS_MASK_REPLY = 18;

// Destination Unreachable codes (RFC 792 0-5, RFC 1122 §3.2.2.1 6-12, RFC 1812 §5.2.7.1 13-15).
export const ICMPV4_UNREACH_NET = 0;
export const ICMPV4_UNREACH_HOST = 1;
export const ICMPV4_UNREACH_PROTOCOL = 2;
export const ICMPV4_UNREACH_PORT = 3;
/** Fragmentation needed and DF set; carries the next-hop MTU (RFC 1191 §4). */
export const ICMPV4_UNREACH_FRAG_NEEDED = 4;
export const ICMPV4_UNREACH_SOURCE_ROUTE_FAILED = 5;
export const ICMPV4_UNREACH_NET_UNKNOWN = 6;
export const ICMPV4_UNREACH_HOST_UNKNOWN = 7;
export const ICMPV4_UNREACH_HOST_ISOLATED = 8;
export const ICMPV4_UNREACH_NET_PROHIBITED = 9;
export const ICMPV4_UNREACH_HOST_PROHIBITED = 10;
export const ICMPV4_UNREACH_NET_TOS = 11;
export const ICMPV4_UNREACH_HOST_TOS = 12;
export const ICMPV4_UNREACH_ADMIN_PROHIBITED = 13;
export const ICMPV4_UNREACH_PRECEDENCE_VIOLATION = 14;
export const ICMPV4_UNREACH_PRECEDENCE_CUTOFF = 15;

// Time Exceeded codes.
export const ICMPV4_TIME_EXCEEDED_TTL = 0;
export const ICMPV4_TIME_EXCEEDED_REASSEMBLY = 1;

// Parameter Problem codes (RFC 792 0, RFC 1108 1, RFC 1812 §5.2.7.3 2).
export const ICMPV4_PARAMPROB_POINTER = 0;
export const ICMPV4_PARAMPROB_MISSING_OPTION = 1;
export const ICMPV4_PARAMPROB_BAD_LENGTH = 2;

// Redirect codes.
export const ICMPV4_REDIRECT_NET = 0;
export const ICMPV4_REDIRECT_HOST = 1;
export const ICMPV4_REDIRECT_TOS_NET = 2;
export const ICMPV4_REDIRECT_TOS_HOST = 3;

/**
 * Bytes of the offending datagram an error quotes by default: as much as
 * fits a 576-byte IP datagram (RFC 1812 §4.3.2.3; Linux's icmp_send uses
 * the same bound): 576 - 20 (IP) - 8 (ICMP). RFC 792 requires at least the
 * IP header and 8 bytes of data.
 */
export const ICMPV4_DEFAULT_MAX_QUOTE = 548;

const F_TYPE = 0;
const F_CODE = 1;
const F_CHECKSUM = 2;
const F_REST = 4;

/** True for the error types (3, 4, 5, 11, 12), about which no error may be sent (RFC 1122 §3.2.2). */
export function isIcmpv4Error(type: number): boolean {
  return (
    type === ICMPV4_DEST_UNREACH ||
    type === ICMPV4_SOURCE_QUENCH ||
    type === ICMPV4_REDIRECT ||
    type === ICMPV4_TIME_EXCEEDED ||
    type === ICMPV4_PARAM_PROBLEM
  );
}

/**
 * A parsed ICMPv4 message. The rest-of-header word is offered under every
 * name a type gives it; read the one that fits `type` (the others are the
 * same bits seen differently). `body` is a view.
 */
export interface Icmpv4Message {
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  /** Bytes 4..7 as one unsigned 32-bit number. */
  readonly rest: number;
  /** Echo, timestamp, information: bytes 4..5. */
  readonly identifier: number;
  /** Echo, timestamp, information: bytes 6..7. */
  readonly sequence: number;
  /** Destination unreachable code 4: the next-hop MTU, bytes 6..7 (0 from pre-RFC 1191 routers). */
  readonly mtu: number;
  /** Parameter problem: the octet of the original header at fault, byte 4. */
  readonly pointer: number;
  /** Redirect: the gateway to use, bytes 4..7. */
  readonly gateway: IPv4Address;
  /** Bytes 8.. : echo data, or for errors the quoted original datagram (see {@link parseIcmpv4Quote}). */
  readonly body: Uint8Array;
}

/**
 * Parses an ICMPv4 message (the IPv4 payload). Never throws. Reasons and
 * the counters they map to, checked in Linux's icmp_rcv order (checksum
 * first, so a short message with a bad checksum counts as a checksum error):
 *
 * | reason                | counters                          |
 * |-----------------------|-----------------------------------|
 * | `icmpv4-bad-checksum` | IcmpInCsumErrors and IcmpInErrors |
 * | `icmpv4-truncated`    | IcmpInErrors                      |
 *
 * With `verifyChecksum = false` the checksum is not checked (see
 * {@link icmpv4ChecksumValid}), as for IPv4 headers.
 */
export function parseIcmpv4(b: Uint8Array, verifyChecksum = true): ParseResult<Icmpv4Message> {
  if (verifyChecksum && internetChecksum(b) !== 0) return fail('icmpv4-bad-checksum');
  if (b.length < ICMPV4_HEADER_LEN) return fail('icmpv4-truncated');
  const rest = readU32(b, F_REST);
  return {
    ok: true,
    value: {
      type: b[F_TYPE]!,
      code: b[F_CODE]!,
      checksum: readU16(b, F_CHECKSUM),
      rest,
      identifier: rest >>> 16,
      sequence: rest & 0xffff,
      mtu: rest & 0xffff,
      pointer: rest >>> 24,
      gateway: rest,
      body: b.subarray(ICMPV4_HEADER_LEN),
    },
  };
}

/** True when the checksum over the whole message `b` verifies. Never throws. */
export function icmpv4ChecksumValid(b: Uint8Array): boolean {
  return internetChecksum(b) === 0;
}

/** What an error message says about the datagram it quotes. */
export interface Icmpv4Quote {
  readonly src: IPv4Address;
  readonly dst: IPv4Address;
  readonly protocol: number;
  readonly id: number;
  /** The quoted header's length in bytes. */
  readonly headerLength: number;
  /** The quoted header's total length: that of the original, usually more than was quoted. */
  readonly totalLength: number;
  /** The quoted bytes after the IP header (at least 8: ports, and TCP's sequence number). */
  readonly transport: Uint8Array;
}

/**
 * Reads the original datagram quoted in an error's body. The quote is cut
 * short by design, so total length and checksum are not checked; Linux's
 * icmp_unreach and icmp_socket_deliver demand a sane IHL and the header
 * plus 8 bytes, as here. Reasons (count IcmpInErrors): `icmpv4-quote-truncated`,
 * `icmpv4-quote-bad-version`, `icmpv4-quote-bad-ihl`.
 */
export function parseIcmpv4Quote(body: Uint8Array): ParseResult<Icmpv4Quote> {
  if (body.length < 20) return fail('icmpv4-quote-truncated');
  if (body[0]! >>> 4 !== 4) return fail('icmpv4-quote-bad-version');
  const headerLength = (body[0]! & 0x0f) << 2;
  if (headerLength < 20) return fail('icmpv4-quote-bad-ihl');
  if (body.length < headerLength + 8) return fail('icmpv4-quote-truncated');
  const totalLength = readU16(body, 2);
  // Never let the transport view run past the original datagram's end,
  // should the quoting router have added trailing bytes (RFC 4884 padding).
  const end = totalLength >= headerLength + 8 && totalLength < body.length ? totalLength : body.length;
  return {
    ok: true,
    value: {
      src: readIPv4(body, 12),
      dst: readIPv4(body, 16),
      protocol: body[9]!,
      id: readU16(body, 4),
      headerLength,
      totalLength,
      transport: body.subarray(headerLength, end),
    },
  };
}

/** Fields for building any message. The body follows the 8-byte header. */
export interface Icmpv4Spec {
  type: number;
  code: number;
  /** The rest-of-header word (default 0). */
  rest?: number;
  body?: Uint8Array;
  /** Override the checksum (default: computed over header and body). */
  checksum?: number;
}

/** The rest-of-header word of echo/timestamp/information messages. */
export function icmpv4EchoRest(identifier: number, sequence: number): number {
  return (((identifier & 0xffff) << 16) | (sequence & 0xffff)) >>> 0;
}

/**
 * Writes the 8-byte header at `b[o..)` for a body of `bodyLen` bytes
 * already at `b[o+8..)`, and computes the checksum over both.
 */
export function writeIcmpv4HeaderAt(b: Uint8Array, o: number, spec: Icmpv4Spec, bodyLen: number): void {
  b[o + F_TYPE] = spec.type & 0xff;
  b[o + F_CODE] = spec.code & 0xff;
  writeU16(b, o + F_CHECKSUM, 0);
  writeU32(b, o + F_REST, spec.rest ?? 0);
  const end = o + ICMPV4_HEADER_LEN + bodyLen;
  writeU16(b, o + F_CHECKSUM, spec.checksum ?? internetChecksum(b, o, end));
}

/**
 * Prepends the header in front of the body already in `pkt`
 * (`spec.body` is ignored: the body is what the buffer holds).
 */
export function writeIcmpv4Header(pkt: PacketBuffer, spec: Icmpv4Spec): void {
  const bodyLen = pkt.length;
  const o = pkt.prepend(ICMPV4_HEADER_LEN);
  writeIcmpv4HeaderAt(pkt.buf, o, spec, bodyLen);
}

/** A message in a new PacketBuffer with headroom for the IP and link headers: the transmit path's form. */
export function icmpv4Packet(spec: Icmpv4Spec): PacketBuffer {
  const body = spec.body;
  const bodyLen = body?.length ?? 0;
  const pkt = PacketBuffer.alloc(ICMPV4_HEADER_LEN + bodyLen);
  if (body !== undefined) pkt.buf.set(body, pkt.start + ICMPV4_HEADER_LEN);
  writeIcmpv4HeaderAt(pkt.buf, pkt.start, spec, bodyLen);
  return pkt;
}

/** A whole message in a new, exactly sized buffer. */
export function buildIcmpv4(spec: Icmpv4Spec): Uint8Array {
  const bodyLen = spec.body?.length ?? 0;
  const b = new Uint8Array(ICMPV4_HEADER_LEN + bodyLen);
  if (spec.body !== undefined) b.set(spec.body, ICMPV4_HEADER_LEN);
  writeIcmpv4HeaderAt(b, 0, spec, bodyLen);
  return b;
}

/** Fields for an echo request or reply (RFC 792). */
export interface Icmpv4EchoSpec {
  /** Build an echo reply (type 0) rather than a request (type 8). */
  reply?: boolean;
  identifier: number;
  sequence: number;
  data?: Uint8Array;
  /** Override the code (RFC 792: 0). */
  code?: number;
  checksum?: number;
}

/** The {@link Icmpv4Spec} of an echo message. */
export function icmpv4EchoSpec(spec: Icmpv4EchoSpec): Icmpv4Spec {
  const s: Icmpv4Spec = {
    type: spec.reply === true ? ICMPV4_ECHO_REPLY : ICMPV4_ECHO_REQUEST,
    code: spec.code ?? 0,
    rest: icmpv4EchoRest(spec.identifier, spec.sequence),
  };
  if (spec.data !== undefined) s.body = spec.data;
  if (spec.checksum !== undefined) s.checksum = spec.checksum;
  return s;
}

/** Builds an echo request or reply. */
export function buildIcmpv4Echo(spec: Icmpv4EchoSpec): Uint8Array {
  return buildIcmpv4(icmpv4EchoSpec(spec));
}

/** Fields for an error message about `original`. */
export interface Icmpv4ErrorSpec {
  /** An error type: 3, 4, 5, 11 or 12. */
  type: number;
  code: number;
  /** The offending datagram, starting at its IP header. */
  original: Uint8Array;
  /** Next-hop MTU for destination unreachable / fragmentation needed (RFC 1191 §4). */
  mtu?: number;
  /** Parameter problem: offset of the octet at fault in the original header. */
  pointer?: number;
  /** Redirect: the better first hop. */
  gateway?: IPv4Address;
  /** The raw rest-of-header word; wins over mtu/pointer/gateway. */
  rest?: number;
  /** Most bytes of `original` to quote (default {@link ICMPV4_DEFAULT_MAX_QUOTE}). */
  maxQuote?: number;
  checksum?: number;
}

/**
 * How many bytes of `original` an error quotes: all of the datagram (up to
 * its total length when that is plausible, so link padding is not quoted),
 * capped at `maxQuote`.
 */
export function icmpv4QuoteLength(original: Uint8Array, maxQuote = ICMPV4_DEFAULT_MAX_QUOTE): number {
  let n = original.length;
  if (n >= 20 && original[0]! >>> 4 === 4) {
    const total = readU16(original, 2);
    if (total >= 20 && total < n) n = total;
  }
  return n < maxQuote ? n : maxQuote;
}

/** The {@link Icmpv4Spec} of an error message (its body is a view of the quoted part of `original`). */
export function icmpv4ErrorSpec(spec: Icmpv4ErrorSpec): Icmpv4Spec {
  let rest = spec.rest;
  if (rest === undefined) {
    if (spec.gateway !== undefined) rest = spec.gateway >>> 0;
    else rest = ((((spec.pointer ?? 0) & 0xff) << 24) | ((spec.mtu ?? 0) & 0xffff)) >>> 0;
  }
  const s: Icmpv4Spec = {
    type: spec.type,
    code: spec.code,
    rest,
    body: spec.original.subarray(0, icmpv4QuoteLength(spec.original, spec.maxQuote)),
  };
  if (spec.checksum !== undefined) s.checksum = spec.checksum;
  return s;
}

/** Builds an error message quoting (the start of) `spec.original`. */
export function buildIcmpv4Error(spec: Icmpv4ErrorSpec): Uint8Array {
  return buildIcmpv4(icmpv4ErrorSpec(spec));
}
