import { readIPv4, writeIPv4, type IPv4Address } from '../core/address.js';
import { readU16, writeU16 } from '../core/bytes.js';
import { fail, type ParseResult } from '../core/result.js';
import { internetChecksum } from './checksum.js';

/**
 * IGMP message codec: IGMPv1 (RFC 1112 appendix I), IGMPv2 (RFC 2236 §2)
 * and IGMPv3 (RFC 3376 §4). The checksum covers the whole IGMP message (no
 * pseudo-header).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Type         | Max Resp Code |           Checksum            |   all messages
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Group Address                         |   query, v1/v2 report, leave
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Resv  |S| QRV |     QQIC      |     Number of Sources (N)     |   v3 query (length >= 12)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Source Address [1..N]                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * v3 report (type 0x22):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Type = 0x22  |    Reserved   |           Checksum            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Reserved            |  Number of Group Records (M)  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Group Record [1..M]:
 * |  Record Type  |  Aux Data Len |     Number of Sources (N)      |
 * |                       Multicast Address                       |
 * |                    Source Address [1..N]                      |
 * |                  Auxiliary Data (Aux Data Len words)          |
 * ```
 */
export const IPPROTO_IGMP = 2;

export const IGMP_MEMBERSHIP_QUERY = 0x11;
export const IGMP_V1_MEMBERSHIP_REPORT = 0x12;
export const IGMP_V2_MEMBERSHIP_REPORT = 0x16;
export const IGMP_V2_LEAVE_GROUP = 0x17;
export const IGMP_V3_MEMBERSHIP_REPORT = 0x22;

/** Group record types (RFC 3376 §4.2.12). */
export const IGMPV3_MODE_IS_INCLUDE = 1;
export const IGMPV3_MODE_IS_EXCLUDE = 2;
export const IGMPV3_CHANGE_TO_INCLUDE = 3;
export const IGMPV3_CHANGE_TO_EXCLUDE = 4;
export const IGMPV3_ALLOW_NEW_SOURCES = 5;
export const IGMPV3_BLOCK_OLD_SOURCES = 6;

/** Fixed part of every message; the smallest valid IGMP message. */
export const IGMP_HEADER_LEN = 8;
/** Fixed part of a v3 query (RFC 3376 §7.1: v3 queries are 12 octets or more). */
export const IGMPV3_QUERY_LEN = 12;
const RECORD_HEADER_LEN = 8;

const F_TYPE = 0;
const F_CODE = 1;
const F_CHECKSUM = 2;
const F_GROUP = 4;
const F_QRV = 8;
const F_QQIC = 9;
const F_NSRC = 10;
const F_NRECORDS = 6;

/** A Membership Query of any version. */
export interface IgmpQuery {
  readonly kind: 'query';
  /** RFC 3376 §7.1: 8 octets and code 0 is v1, 8 octets otherwise v2, 12 or more v3. */
  readonly version: 1 | 2 | 3;
  readonly maxRespCode: number;
  readonly checksum: number;
  /** 0.0.0.0 for a general query. */
  readonly group: IPv4Address;
  /** v3: Suppress Router-Side Processing. */
  readonly suppress: boolean;
  /** v3: Querier's Robustness Variable (0: not given). */
  readonly qrv: number;
  /** v3: Querier's Query Interval Code. */
  readonly qqic: number;
  /** v3: sources of a group-and-source-specific query. */
  readonly sources: readonly IPv4Address[];
}

/** A v1 or v2 report, or a v2 leave: type and group. */
export interface IgmpGroupMessage {
  readonly kind: 'v1-report' | 'v2-report' | 'leave';
  readonly maxRespCode: number;
  readonly checksum: number;
  readonly group: IPv4Address;
}

/** One group record of a v3 report. */
export interface IgmpGroupRecord {
  readonly recordType: number;
  readonly group: IPv4Address;
  readonly sources: readonly IPv4Address[];
  /** A view into the message. */
  readonly auxData: Uint8Array;
}

/** A v3 Membership Report. */
export interface IgmpV3Report {
  readonly kind: 'v3-report';
  readonly checksum: number;
  readonly records: readonly IgmpGroupRecord[];
}

/** A message of a type this codec does not know (RFC 3376 §4: ignored, but not an error). */
export interface IgmpUnknown {
  readonly kind: 'unknown';
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
}

export type IgmpMessage = IgmpQuery | IgmpGroupMessage | IgmpV3Report | IgmpUnknown;

/**
 * Parses an IGMP message (the IPv4 payload). Never throws. Reasons:
 * `igmp-truncated` (under 8 bytes, or sources/records past the end),
 * `igmp-bad-checksum`, `igmp-bad-query-length` (a query of 9-11 octets,
 * which RFC 3376 §7.1 says to ignore).
 */
export function parseIgmp(b: Uint8Array, verifyChecksum = true): ParseResult<IgmpMessage> {
  if (b.length < IGMP_HEADER_LEN) return fail('igmp-truncated');
  if (verifyChecksum && internetChecksum(b) !== 0) return fail('igmp-bad-checksum');
  const type = b[F_TYPE]!;
  const code = b[F_CODE]!;
  const checksum = readU16(b, F_CHECKSUM);
  switch (type) {
    case IGMP_MEMBERSHIP_QUERY:
      return parseQuery(b, code, checksum);
    case IGMP_V1_MEMBERSHIP_REPORT:
    case IGMP_V2_MEMBERSHIP_REPORT:
    case IGMP_V2_LEAVE_GROUP: {
      const kind = type === IGMP_V1_MEMBERSHIP_REPORT ? 'v1-report' : type === IGMP_V2_MEMBERSHIP_REPORT ? 'v2-report' : 'leave';
      return { ok: true, value: { kind, maxRespCode: code, checksum, group: readIPv4(b, F_GROUP) } };
    }
    case IGMP_V3_MEMBERSHIP_REPORT:
      return parseV3Report(b, checksum);
    default:
      return { ok: true, value: { kind: 'unknown', type, code, checksum } };
  }
}

function parseQuery(b: Uint8Array, code: number, checksum: number): ParseResult<IgmpMessage> {
  const group = readIPv4(b, F_GROUP);
  if (b.length === IGMP_HEADER_LEN) {
    return {
      ok: true,
      value: { kind: 'query', version: code === 0 ? 1 : 2, maxRespCode: code, checksum, group, suppress: false, qrv: 0, qqic: 0, sources: [] },
    };
  }
  if (b.length < IGMPV3_QUERY_LEN) return fail('igmp-bad-query-length');
  const n = readU16(b, F_NSRC);
  if (IGMPV3_QUERY_LEN + 4 * n > b.length) return fail('igmp-truncated');
  const sources: IPv4Address[] = [];
  for (let i = 0; i < n; i++) sources.push(readIPv4(b, IGMPV3_QUERY_LEN + 4 * i));
  const flags = b[F_QRV]!;
  return {
    ok: true,
    value: {
      kind: 'query',
      version: 3,
      maxRespCode: code,
      checksum,
      group,
      suppress: (flags & 0x08) !== 0,
      qrv: flags & 0x07,
      qqic: b[F_QQIC]!,
      sources,
    },
  };
}

function parseV3Report(b: Uint8Array, checksum: number): ParseResult<IgmpMessage> {
  const m = readU16(b, F_NRECORDS);
  const records: IgmpGroupRecord[] = [];
  let o = IGMP_HEADER_LEN;
  for (let r = 0; r < m; r++) {
    if (o + RECORD_HEADER_LEN > b.length) return fail('igmp-truncated');
    const recordType = b[o]!;
    const auxWords = b[o + 1]!;
    const n = readU16(b, o + 2);
    const end = o + RECORD_HEADER_LEN + 4 * n + 4 * auxWords;
    if (end > b.length) return fail('igmp-truncated');
    const sources: IPv4Address[] = [];
    for (let i = 0; i < n; i++) sources.push(readIPv4(b, o + RECORD_HEADER_LEN + 4 * i));
    records.push({ recordType, group: readIPv4(b, o + 4), sources, auxData: b.subarray(end - 4 * auxWords, end) });
    o = end;
  }
  return { ok: true, value: { kind: 'v3-report', checksum, records } };
}

/** v3 query fields (defaults: no flags, QRV 0, QQIC 0, no sources). */
export interface IgmpV3QuerySpec {
  suppress?: boolean;
  qrv?: number;
  qqic?: number;
  sources?: readonly IPv4Address[];
  /** Override Number of Sources. */
  numSources?: number;
}

/** One group record to build. */
export interface IgmpRecordSpec {
  recordType: number;
  group: IPv4Address;
  sources?: readonly IPv4Address[];
  /** Zero-padded to whole 32-bit words. */
  auxData?: Uint8Array;
  /** Override Number of Sources. */
  numSources?: number;
  /** Override Aux Data Len (words). */
  auxDataLen?: number;
}

/** Fields for building a message. Derived fields (counts, checksum) may be overridden. */
export type IgmpSpec =
  | { kind: 'query'; maxRespCode?: number; group?: IPv4Address; v3?: IgmpV3QuerySpec; checksum?: number }
  | { kind: 'v1-report' | 'v2-report' | 'leave'; group: IPv4Address; maxRespCode?: number; checksum?: number }
  | { kind: 'v3-report'; records: readonly IgmpRecordSpec[]; numRecords?: number; checksum?: number };

function recordLength(r: IgmpRecordSpec): number {
  return RECORD_HEADER_LEN + 4 * (r.sources?.length ?? 0) + (((r.auxData?.length ?? 0) + 3) & ~3);
}

/** Bytes the message for `spec` occupies. */
export function igmpLength(spec: IgmpSpec): number {
  switch (spec.kind) {
    case 'query':
      return spec.v3 === undefined ? IGMP_HEADER_LEN : IGMPV3_QUERY_LEN + 4 * (spec.v3.sources?.length ?? 0);
    case 'v3-report': {
      let n = IGMP_HEADER_LEN;
      for (const r of spec.records) n += recordLength(r);
      return n;
    }
    default:
      return IGMP_HEADER_LEN;
  }
}

/** Writes the message for `spec` at `b[o..)` (which must hold {@link igmpLength} bytes); returns its length. */
export function writeIgmpAt(b: Uint8Array, o: number, spec: IgmpSpec): number {
  const len = igmpLength(spec);
  b.fill(0, o, o + len);
  switch (spec.kind) {
    case 'query': {
      b[o + F_TYPE] = IGMP_MEMBERSHIP_QUERY;
      b[o + F_CODE] = (spec.maxRespCode ?? 0) & 0xff;
      writeIPv4(b, o + F_GROUP, spec.group ?? 0);
      const v3 = spec.v3;
      if (v3 !== undefined) {
        const sources = v3.sources ?? [];
        b[o + F_QRV] = (v3.suppress === true ? 0x08 : 0) | ((v3.qrv ?? 0) & 0x07);
        b[o + F_QQIC] = (v3.qqic ?? 0) & 0xff;
        writeU16(b, o + F_NSRC, v3.numSources ?? sources.length);
        for (let i = 0; i < sources.length; i++) writeIPv4(b, o + IGMPV3_QUERY_LEN + 4 * i, sources[i]!);
      }
      break;
    }
    case 'v1-report':
    case 'v2-report':
    case 'leave':
      b[o + F_TYPE] =
        spec.kind === 'v1-report' ? IGMP_V1_MEMBERSHIP_REPORT : spec.kind === 'v2-report' ? IGMP_V2_MEMBERSHIP_REPORT : IGMP_V2_LEAVE_GROUP;
      b[o + F_CODE] = (spec.maxRespCode ?? 0) & 0xff;
      writeIPv4(b, o + F_GROUP, spec.group);
      break;
    case 'v3-report': {
      b[o + F_TYPE] = IGMP_V3_MEMBERSHIP_REPORT;
      writeU16(b, o + F_NRECORDS, spec.numRecords ?? spec.records.length);
      let p = o + IGMP_HEADER_LEN;
      for (const r of spec.records) {
        const sources = r.sources ?? [];
        const auxLen = ((r.auxData?.length ?? 0) + 3) >>> 2;
        b[p] = r.recordType & 0xff;
        b[p + 1] = (r.auxDataLen ?? auxLen) & 0xff;
        writeU16(b, p + 2, r.numSources ?? sources.length);
        writeIPv4(b, p + 4, r.group);
        for (let i = 0; i < sources.length; i++) writeIPv4(b, p + RECORD_HEADER_LEN + 4 * i, sources[i]!);
        if (r.auxData !== undefined) b.set(r.auxData, p + RECORD_HEADER_LEN + 4 * sources.length);
        p += recordLength(r);
      }
      break;
    }
  }
  writeU16(b, o + F_CHECKSUM, spec.checksum ?? internetChecksum(b, o, o + len));
  return len;
}

/** Builds a message in a new buffer. */
export function buildIgmp(spec: IgmpSpec): Uint8Array {
  const b = new Uint8Array(igmpLength(spec));
  writeIgmpAt(b, 0, spec);
  return b;
}

/**
 * Decodes an IGMPv3 Max Resp Code or QQIC (RFC 3376 §4.1.1, §4.1.7): below
 * 128 the value itself, else a float with a 3-bit exponent and 4-bit
 * mantissa: (mant | 0x10) << (exp + 3).
 */
export function igmpv3DecodeCode(code: number): number {
  if (code < 128) return code;
  const mant = code & 0x0f;
  const exp = (code >>> 4) & 0x07;
  return (mant | 0x10) << (exp + 3);
}

/** Encodes a value (0..31744) in the RFC 3376 §4.1.1 format, rounding down to a representable value. */
export function igmpv3EncodeCode(value: number): number {
  if (value < 128) return value;
  for (let exp = 0; exp < 8; exp++) {
    const mant = (value >>> (exp + 3)) - 0x10;
    if (mant >= 0 && mant <= 0x0f) return 0x80 | (exp << 4) | mant;
  }
  return 0xff;
}

/**
 * The Max Response Time of a query in µs: v1 queries carry none and mean
 * 10 s (RFC 2236 §4); v2 counts tenths of a second (RFC 2236 §2.2); v3 uses
 * the §4.1.1 encoding of tenths.
 */
export function igmpMaxResponseUs(q: IgmpQuery): number {
  if (q.version === 1) return 10_000_000;
  const tenths = q.version === 2 ? q.maxRespCode : igmpv3DecodeCode(q.maxRespCode);
  return tenths * 100_000;
}
