import type { IPv6Address } from '../core/address.js';
import { readU16, readU32, writeU16, writeU32 } from '../core/bytes.js';
import { PacketBuffer } from '../core/packet-buffer.js';
import { fail, type ParseResult } from '../core/result.js';
import { finishChecksum, pseudoSumV6, sumBytes } from '../ip/checksum.js';
import { IPV6_HEADER_LEN, IPV6_MIN_MTU } from '../ip/ipv6-header.js';
import { parseMld, mldBodyLength, writeMld, type MldFields } from './mld.js';
import { ndpOptionsSize, parseNdpOptions, writeNdpOptions, type NdpOption } from './ndp-options.js';

export * from './mld.js';
export * from './ndp-options.js';

/**
 * ICMPv6 codec (RFC 4443) with the Neighbor Discovery (RFC 4861) and MLD
 * (RFC 2710, RFC 3810) message bodies.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Message Body                          |
 * ```
 *
 * The checksum covers the IPv6 pseudo-header (RFC 8200 §8.1, Next Header 58)
 * and the whole message; unlike UDP there is no "no checksum" value.
 */
export const IPPROTO_ICMPV6 = 58;
export const ICMPV6_HEADER_LEN = 4;

export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_PACKET_TOO_BIG = 2;
export const ICMPV6_TIME_EXCEEDED = 3;
export const ICMPV6_PARAM_PROBLEM = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const ICMPV6_MLD_QUERY = 130;
export const ICMPV6_MLD_REPORT = 131;
export const ICMPV6_MLD_DONE = 132;
export const ICMPV6_ROUTER_SOLICIT = 133;
export const ICMPV6_ROUTER_ADVERT = 134;
export const ICMPV6_NEIGHBOR_SOLICIT = 135;
export const ICMPV6_NEIGHBOR_ADVERT = 136;
export const ICMPV6_REDIRECT = 137;
export const ICMPV6_MLD2_REPORT = 143;

/** Destination Unreachable codes (RFC 4443 §3.1). */
export const ICMPV6_UNREACH_NO_ROUTE = 0;
export const ICMPV6_UNREACH_ADMIN = 1;
export const ICMPV6_UNREACH_BEYOND_SCOPE = 2;
export const ICMPV6_UNREACH_ADDRESS = 3;
export const ICMPV6_UNREACH_PORT = 4;
export const ICMPV6_UNREACH_POLICY = 5;
export const ICMPV6_UNREACH_REJECT_ROUTE = 6;

/** Time Exceeded codes (RFC 4443 §3.3). */
export const ICMPV6_TIME_HOP_LIMIT = 0;
export const ICMPV6_TIME_REASSEMBLY = 1;

/** Parameter Problem codes (RFC 4443 §3.4, RFC 7112 §6 for code 3). */
export const ICMPV6_PARAM_HEADER_FIELD = 0;
export const ICMPV6_PARAM_NEXT_HEADER = 1;
export const ICMPV6_PARAM_OPTION = 2;
export const ICMPV6_PARAM_INCOMPLETE_CHAIN = 3;

/** Router Advertisement flag byte (RFC 4861 §4.2). */
export const RA_FLAG_MANAGED = 0x80;
export const RA_FLAG_OTHER = 0x40;

/** Neighbor Advertisement flag word (RFC 4861 §4.4). */
export const NA_FLAG_ROUTER = 0x80000000;
export const NA_FLAG_SOLICITED = 0x40000000;
export const NA_FLAG_OVERRIDE = 0x20000000;

/**
 * Largest invoking-packet quote that keeps an error message within the
 * minimum MTU (RFC 4443 §2.4 (c)): 1280 - IPv6 header - ICMPv6 error header.
 */
export const ICMPV6_ERROR_MAX_QUOTE = IPV6_MIN_MTU - IPV6_HEADER_LEN - 8;

/** True for error messages (types 0..127, RFC 4443 §2.1). */
export function isIcmpv6Error(type: number): boolean {
  return type < 128;
}

/** The per-type part of a message. Parsing fills every field; building treats `?` fields as defaults (0). */
export type Icmpv6Fields =
  | { kind: 'dest-unreachable' | 'time-exceeded'; unused?: number; invoking: Uint8Array }
  | { kind: 'packet-too-big'; mtu: number; invoking: Uint8Array }
  | { kind: 'param-problem'; pointer: number; invoking: Uint8Array }
  | { kind: 'echo-request' | 'echo-reply'; identifier: number; sequence: number; data: Uint8Array }
  | { kind: 'router-solicitation'; reserved?: number; options: readonly NdpOption[] }
  | {
      kind: 'router-advertisement';
      curHopLimit: number;
      /** RA_FLAG_MANAGED | RA_FLAG_OTHER | other bits as received. */
      flags: number;
      routerLifetime: number;
      reachableTime: number;
      retransTimer: number;
      options: readonly NdpOption[];
    }
  | { kind: 'neighbor-solicitation'; reserved?: number; target: IPv6Address; options: readonly NdpOption[] }
  | {
      kind: 'neighbor-advertisement';
      /** The first 32-bit word: NA_FLAG_ROUTER | NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE | reserved bits. */
      flags: number;
      target: IPv6Address;
      options: readonly NdpOption[];
    }
  | {
      kind: 'redirect';
      reserved?: number;
      target: IPv6Address;
      destination: IPv6Address;
      options: readonly NdpOption[];
    }
  | MldFields
  | { kind: 'unknown'; type: number; body: Uint8Array };

/** A parsed ICMPv6 message. Byte fields are views into the input. */
export interface Icmpv6Message {
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  readonly fields: Icmpv6Fields;
}

/** A message to build: the fields plus overridable derived values. */
export type Icmpv6Spec = Icmpv6Fields & {
  /** Default 0. */
  code?: number;
  /** Override the checksum (default: computed over the pseudo-header). */
  checksum?: number;
};

/** The checksum of message `b` over the IPv6 pseudo-header; 0 when the message's checksum is right. */
export function icmpv6Checksum(b: Uint8Array, src: IPv6Address, dst: IPv6Address): number {
  return finishChecksum(sumBytes(b, 0, b.length, pseudoSumV6(src, dst, IPPROTO_ICMPV6, b.length)));
}

/** Checks the checksum of message `b` (exactly the IPv6 upper-layer bytes). */
export function icmpv6ChecksumValid(b: Uint8Array, src: IPv6Address, dst: IPv6Address): boolean {
  return b.length >= ICMPV6_HEADER_LEN && icmpv6Checksum(b, src, dst) === 0;
}

function withOptions<T>(b: Uint8Array, start: number, make: (options: NdpOption[]) => T): ParseResult<T> {
  const opts = parseNdpOptions(b, start, b.length);
  if (!opts.ok) return opts;
  return { ok: true, value: make(opts.value) };
}

function parseFields(type: number, b: Uint8Array): ParseResult<Icmpv6Fields> {
  const n = b.length;
  switch (type) {
    case ICMPV6_DEST_UNREACH:
    case ICMPV6_TIME_EXCEEDED:
      if (n < 8) return fail('icmp6-truncated');
      return {
        ok: true,
        value: {
          kind: type === ICMPV6_DEST_UNREACH ? 'dest-unreachable' : 'time-exceeded',
          unused: readU32(b, 4),
          invoking: b.subarray(8),
        },
      };
    case ICMPV6_PACKET_TOO_BIG:
      if (n < 8) return fail('icmp6-truncated');
      return { ok: true, value: { kind: 'packet-too-big', mtu: readU32(b, 4), invoking: b.subarray(8) } };
    case ICMPV6_PARAM_PROBLEM:
      if (n < 8) return fail('icmp6-truncated');
      return { ok: true, value: { kind: 'param-problem', pointer: readU32(b, 4), invoking: b.subarray(8) } };
    case ICMPV6_ECHO_REQUEST:
    case ICMPV6_ECHO_REPLY:
      if (n < 8) return fail('icmp6-truncated');
      return {
        ok: true,
        value: {
          kind: type === ICMPV6_ECHO_REQUEST ? 'echo-request' : 'echo-reply',
          identifier: readU16(b, 4),
          sequence: readU16(b, 6),
          data: b.subarray(8),
        },
      };
    case ICMPV6_ROUTER_SOLICIT:
      if (n < 8) return fail('icmp6-truncated');
      return withOptions(b, 8, (options) => ({ kind: 'router-solicitation', reserved: readU32(b, 4), options }));
    case ICMPV6_ROUTER_ADVERT:
      if (n < 16) return fail('icmp6-truncated');
      return withOptions(b, 16, (options) => ({
        kind: 'router-advertisement',
        curHopLimit: b[4]!,
        flags: b[5]!,
        routerLifetime: readU16(b, 6),
        reachableTime: readU32(b, 8),
        retransTimer: readU32(b, 12),
        options,
      }));
    case ICMPV6_NEIGHBOR_SOLICIT:
      if (n < 24) return fail('icmp6-truncated');
      return withOptions(b, 24, (options) => ({
        kind: 'neighbor-solicitation',
        reserved: readU32(b, 4),
        target: b.subarray(8, 24),
        options,
      }));
    case ICMPV6_NEIGHBOR_ADVERT:
      if (n < 24) return fail('icmp6-truncated');
      return withOptions(b, 24, (options) => ({
        kind: 'neighbor-advertisement',
        flags: readU32(b, 4),
        target: b.subarray(8, 24),
        options,
      }));
    case ICMPV6_REDIRECT:
      if (n < 40) return fail('icmp6-truncated');
      return withOptions(b, 40, (options) => ({
        kind: 'redirect',
        reserved: readU32(b, 4),
        target: b.subarray(8, 24),
        destination: b.subarray(24, 40),
        options,
      }));
    case ICMPV6_MLD_QUERY:
    case ICMPV6_MLD_REPORT:
    case ICMPV6_MLD_DONE:
    case ICMPV6_MLD2_REPORT:
      return parseMld(type, b);
    default:
      return { ok: true, value: { kind: 'unknown', type, body: b.subarray(ICMPV6_HEADER_LEN) } };
  }
}

/**
 * Parses an ICMPv6 message: `b` is exactly the upper-layer bytes (the IPv6
 * payload after the extension headers). With `src` and `dst` the checksum is
 * verified first ('icmp6-bad-checksum'); without them it is not checked.
 * Validity rules beyond structure (NDP hop limit 255 and code 0, RFC 4861
 * §6.1/§7.1) are the NDP handler's, which knows the IP header.
 */
export function parseIcmpv6(b: Uint8Array, src?: IPv6Address, dst?: IPv6Address): ParseResult<Icmpv6Message> {
  if (b.length < ICMPV6_HEADER_LEN) return fail('icmp6-truncated');
  if (src !== undefined && dst !== undefined && icmpv6Checksum(b, src, dst) !== 0) return fail('icmp6-bad-checksum');
  const type = b[0]!;
  const fields = parseFields(type, b);
  if (!fields.ok) return fields;
  return { ok: true, value: { type, code: b[1]!, checksum: readU16(b, 2), fields: fields.value } };
}

/** The ICMPv6 type a fields value is sent with. */
export function icmpv6Type(f: Icmpv6Fields): number {
  switch (f.kind) {
    case 'dest-unreachable':
      return ICMPV6_DEST_UNREACH;
    case 'packet-too-big':
      return ICMPV6_PACKET_TOO_BIG;
    case 'time-exceeded':
      return ICMPV6_TIME_EXCEEDED;
    case 'param-problem':
      return ICMPV6_PARAM_PROBLEM;
    case 'echo-request':
      return ICMPV6_ECHO_REQUEST;
    case 'echo-reply':
      return ICMPV6_ECHO_REPLY;
    case 'router-solicitation':
      return ICMPV6_ROUTER_SOLICIT;
    case 'router-advertisement':
      return ICMPV6_ROUTER_ADVERT;
    case 'neighbor-solicitation':
      return ICMPV6_NEIGHBOR_SOLICIT;
    case 'neighbor-advertisement':
      return ICMPV6_NEIGHBOR_ADVERT;
    case 'redirect':
      return ICMPV6_REDIRECT;
    case 'mld-query':
      return ICMPV6_MLD_QUERY;
    case 'mld-report':
      return ICMPV6_MLD_REPORT;
    case 'mld-done':
      return ICMPV6_MLD_DONE;
    case 'mld-v2-report':
      return ICMPV6_MLD2_REPORT;
    case 'unknown':
      return f.type;
  }
}

/** Total wire length of the message a spec describes. */
export function icmpv6Length(f: Icmpv6Fields): number {
  switch (f.kind) {
    case 'dest-unreachable':
    case 'time-exceeded':
    case 'packet-too-big':
    case 'param-problem':
      return 8 + f.invoking.length;
    case 'echo-request':
    case 'echo-reply':
      return 8 + f.data.length;
    case 'router-solicitation':
      return 8 + ndpOptionsSize(f.options);
    case 'router-advertisement':
      return 16 + ndpOptionsSize(f.options);
    case 'neighbor-solicitation':
    case 'neighbor-advertisement':
      return 24 + ndpOptionsSize(f.options);
    case 'redirect':
      return 40 + ndpOptionsSize(f.options);
    case 'mld-query':
    case 'mld-report':
    case 'mld-done':
    case 'mld-v2-report':
      return ICMPV6_HEADER_LEN + mldBodyLength(f);
    case 'unknown':
      return ICMPV6_HEADER_LEN + f.body.length;
  }
}

function writeBody(b: Uint8Array, o: number, f: Icmpv6Fields): void {
  switch (f.kind) {
    case 'dest-unreachable':
    case 'time-exceeded':
      writeU32(b, o + 4, f.unused ?? 0);
      b.set(f.invoking, o + 8);
      return;
    case 'packet-too-big':
      writeU32(b, o + 4, f.mtu);
      b.set(f.invoking, o + 8);
      return;
    case 'param-problem':
      writeU32(b, o + 4, f.pointer);
      b.set(f.invoking, o + 8);
      return;
    case 'echo-request':
    case 'echo-reply':
      writeU16(b, o + 4, f.identifier);
      writeU16(b, o + 6, f.sequence);
      b.set(f.data, o + 8);
      return;
    case 'router-solicitation':
      writeU32(b, o + 4, f.reserved ?? 0);
      writeNdpOptions(b, o + 8, f.options);
      return;
    case 'router-advertisement':
      b[o + 4] = f.curHopLimit;
      b[o + 5] = f.flags;
      writeU16(b, o + 6, f.routerLifetime);
      writeU32(b, o + 8, f.reachableTime);
      writeU32(b, o + 12, f.retransTimer);
      writeNdpOptions(b, o + 16, f.options);
      return;
    case 'neighbor-solicitation':
      writeU32(b, o + 4, f.reserved ?? 0);
      b.set(f.target.subarray(0, 16), o + 8);
      writeNdpOptions(b, o + 24, f.options);
      return;
    case 'neighbor-advertisement':
      writeU32(b, o + 4, f.flags >>> 0);
      b.set(f.target.subarray(0, 16), o + 8);
      writeNdpOptions(b, o + 24, f.options);
      return;
    case 'redirect':
      writeU32(b, o + 4, f.reserved ?? 0);
      b.set(f.target.subarray(0, 16), o + 8);
      b.set(f.destination.subarray(0, 16), o + 24);
      writeNdpOptions(b, o + 40, f.options);
      return;
    case 'mld-query':
    case 'mld-report':
    case 'mld-done':
    case 'mld-v2-report':
      writeMld(b, o + ICMPV6_HEADER_LEN, f);
      return;
    case 'unknown':
      b.set(f.body, o + ICMPV6_HEADER_LEN);
      return;
  }
}

/**
 * Writes the message at b[o, o + icmpv6Length(spec)) and fills in its
 * checksum over the pseudo-header for `src` → `dst` unless the spec
 * overrides it. Returns the length written.
 */
export function writeIcmpv6(b: Uint8Array, o: number, spec: Icmpv6Spec, src: IPv6Address, dst: IPv6Address): number {
  const len = icmpv6Length(spec);
  b.fill(0, o, o + len);
  b[o] = icmpv6Type(spec);
  b[o + 1] = spec.code ?? 0;
  writeBody(b, o, spec);
  const checksum =
    spec.checksum ?? finishChecksum(sumBytes(b, o, o + len, pseudoSumV6(src, dst, IPPROTO_ICMPV6, len)));
  writeU16(b, o + 2, checksum);
  return len;
}

/** Builds a message in a new array. */
export function buildIcmpv6(spec: Icmpv6Spec, src: IPv6Address, dst: IPv6Address): Uint8Array {
  const b = new Uint8Array(icmpv6Length(spec));
  writeIcmpv6(b, 0, spec, src, dst);
  return b;
}

/** Builds a message into a {@link PacketBuffer} with headroom, ready for the IPv6 layer to prepend its header. */
export function buildIcmpv6Buffer(spec: Icmpv6Spec, src: IPv6Address, dst: IPv6Address): PacketBuffer {
  const pkt = PacketBuffer.alloc(icmpv6Length(spec));
  writeIcmpv6(pkt.buf, pkt.start, spec, src, dst);
  return pkt;
}
