import type { IPv6Address } from '../core/address.js';
import { readU16, writeU16 } from '../core/bytes.js';
import { fail, type ParseResult } from '../core/result.js';

/**
 * Multicast Listener Discovery message bodies: MLDv1 (RFC 2710) query,
 * report and done, and MLDv2 (RFC 3810) query and report. Offsets below are
 * from the start of the ICMPv6 message (type, code and checksum first).
 *
 * ```
 *  Query (130), MLDv1 Report (131), Done (132)         MLDv2 Report (143)
 *  4  Maximum Response Code/Delay | 6 Reserved          4 Reserved | 6 Nr of Mcast Address Records
 *  8  Multicast Address (16)                            8 Multicast Address Record [1..N]:
 *  -- MLDv2 query only (length >= 28): --                 Record Type | Aux Data Len | Number of Sources
 *  24 Resv(4)|S(1)|QRV(3) | 25 QQIC | 26 Nr of Sources    Multicast Address (16)
 *  28 Source Address [1..N] (16 each)                     Source Address [1..N] (16 each)
 *                                                         Auxiliary Data (Aux Data Len * 4)
 * ```
 */

/** MLDv2 query flag byte (RFC 3810 §5.1.7, §5.1.8). */
export const MLD_QUERY_S_FLAG = 0x08;
export const MLD_QUERY_QRV_MASK = 0x07;

/** MLDv2 multicast address record types (RFC 3810 §5.2.12). */
export const MLD_MODE_IS_INCLUDE = 1;
export const MLD_MODE_IS_EXCLUDE = 2;
export const MLD_CHANGE_TO_INCLUDE = 3;
export const MLD_CHANGE_TO_EXCLUDE = 4;
export const MLD_ALLOW_NEW_SOURCES = 5;
export const MLD_BLOCK_OLD_SOURCES = 6;

const MLDV1_LEN = 24;
const MLDV2_QUERY_MIN = 28;
const RECORD_HEADER_LEN = 20;

/** One MLDv2 Multicast Address Record (RFC 3810 §5.2.4). */
export interface MldRecord {
  recordType: number;
  multicastAddress: IPv6Address;
  sources: readonly IPv6Address[];
  auxData: Uint8Array;
  /** Override Number of Sources (default: sources.length). */
  numSources?: number;
  /** Override Aux Data Len in 32-bit words (default: auxData.length / 4, rounded up; data is zero-padded). */
  auxDataLen?: number;
}

/** MLD message fields, as part of the ICMPv6 fields union. */
export type MldFields =
  | {
      kind: 'mld-query';
      /** 1: the 24-byte MLDv1 form; 2: MLDv2 (RFC 3810 §8.1 tells them apart by length). */
      version: 1 | 2;
      maxResponseCode: number;
      reserved?: number;
      /** Unspecified (::) for a general query. */
      multicastAddress: IPv6Address;
      /** MLDv2: Resv | S | QRV byte. */
      flags?: number;
      /** MLDv2: Querier's Query Interval Code. */
      qqic?: number;
      sources: readonly IPv6Address[];
      /** Override Number of Sources (MLDv2). */
      numSources?: number;
    }
  | {
      kind: 'mld-report' | 'mld-done';
      maxResponseDelay: number;
      reserved?: number;
      multicastAddress: IPv6Address;
    }
  | {
      kind: 'mld-v2-report';
      reserved?: number;
      records: readonly MldRecord[];
      /** Override Nr of Mcast Address Records (default: records.length). */
      numRecords?: number;
    };

function readSources(b: Uint8Array, o: number, n: number): IPv6Address[] {
  const out: IPv6Address[] = [];
  for (let i = 0; i < n; i++) out.push(b.subarray(o + 16 * i, o + 16 * i + 16));
  return out;
}

/**
 * Parses an MLD message `b` (the whole ICMPv6 message) of ICMPv6 `type`.
 * A query of 24 bytes is MLDv1, one of 28 or more MLDv2; other lengths are
 * ignored per RFC 3810 §8.1 ('mld-bad-length'). Bytes after the last
 * source are ignored (RFC 3810 §5.1.12).
 */
export function parseMld(type: number, b: Uint8Array): ParseResult<MldFields> {
  const n = b.length;
  if (type === 143 /* MLDv2 report */) {
    if (n < 8) return fail('icmp6-truncated');
    const count = readU16(b, 6);
    const records: MldRecord[] = [];
    let p = 8;
    for (let i = 0; i < count; i++) {
      if (p + RECORD_HEADER_LEN > n) return fail('mld-record-truncated');
      const auxLen = b[p + 1]! * 4;
      const nsrc = readU16(b, p + 2);
      const end = p + RECORD_HEADER_LEN + nsrc * 16 + auxLen;
      if (end > n) return fail('mld-record-truncated');
      records.push({
        recordType: b[p]!,
        multicastAddress: b.subarray(p + 4, p + 20),
        sources: readSources(b, p + RECORD_HEADER_LEN, nsrc),
        auxData: b.subarray(end - auxLen, end),
      });
      p = end;
    }
    return { ok: true, value: { kind: 'mld-v2-report', reserved: readU16(b, 4), records } };
  }
  if (n < MLDV1_LEN) return fail('icmp6-truncated');
  if (type !== 130 /* query */) {
    return {
      ok: true,
      value: {
        kind: type === 131 /* MLDv1 report */ ? 'mld-report' : 'mld-done',
        maxResponseDelay: readU16(b, 4),
        reserved: readU16(b, 6),
        multicastAddress: b.subarray(8, 24),
      },
    };
  }
  const common = { maxResponseCode: readU16(b, 4), reserved: readU16(b, 6), multicastAddress: b.subarray(8, 24) };
  if (n === MLDV1_LEN) return { ok: true, value: { kind: 'mld-query', version: 1, ...common, sources: [] } };
  if (n < MLDV2_QUERY_MIN) return fail('mld-bad-length');
  const nsrc = readU16(b, 26);
  if (MLDV2_QUERY_MIN + nsrc * 16 > n) return fail('mld-truncated');
  return {
    ok: true,
    value: {
      kind: 'mld-query',
      version: 2,
      ...common,
      flags: b[24]!,
      qqic: b[25]!,
      sources: readSources(b, MLDV2_QUERY_MIN, nsrc),
    },
  };
}

function auxPadded(r: MldRecord): number {
  return (r.auxData.length + 3) & ~3;
}

/** Length of the body after the 4-byte ICMPv6 header. */
export function mldBodyLength(f: MldFields): number {
  switch (f.kind) {
    case 'mld-query':
      return f.version === 1 ? MLDV1_LEN - 4 : MLDV2_QUERY_MIN - 4 + 16 * f.sources.length;
    case 'mld-report':
    case 'mld-done':
      return MLDV1_LEN - 4;
    case 'mld-v2-report': {
      let n = 4;
      for (const r of f.records) n += RECORD_HEADER_LEN + 16 * r.sources.length + auxPadded(r);
      return n;
    }
  }
}

/** Writes the body of `f` at b[o..) where o is just after the ICMPv6 checksum; the bytes must be zeroed. */
export function writeMld(b: Uint8Array, o: number, f: MldFields): void {
  // Offsets below are from the message start, like the diagram.
  const m = o - 4;
  switch (f.kind) {
    case 'mld-query':
      writeU16(b, m + 4, f.maxResponseCode);
      writeU16(b, m + 6, f.reserved ?? 0);
      b.set(f.multicastAddress.subarray(0, 16), m + 8);
      if (f.version === 2) {
        b[m + 24] = f.flags ?? 0;
        b[m + 25] = f.qqic ?? 0;
        writeU16(b, m + 26, f.numSources ?? f.sources.length);
        for (let i = 0; i < f.sources.length; i++) b.set(f.sources[i]!.subarray(0, 16), m + 28 + 16 * i);
      }
      return;
    case 'mld-report':
    case 'mld-done':
      writeU16(b, m + 4, f.maxResponseDelay);
      writeU16(b, m + 6, f.reserved ?? 0);
      b.set(f.multicastAddress.subarray(0, 16), m + 8);
      return;
    case 'mld-v2-report': {
      writeU16(b, m + 4, f.reserved ?? 0);
      writeU16(b, m + 6, f.numRecords ?? f.records.length);
      let p = m + 8;
      for (const r of f.records) {
        b[p] = r.recordType;
        b[p + 1] = r.auxDataLen ?? auxPadded(r) >> 2;
        writeU16(b, p + 2, r.numSources ?? r.sources.length);
        b.set(r.multicastAddress.subarray(0, 16), p + 4);
        p += RECORD_HEADER_LEN;
        for (const s of r.sources) {
          b.set(s.subarray(0, 16), p);
          p += 16;
        }
        b.set(r.auxData, p);
        p += auxPadded(r);
      }
      return;
    }
  }
}

/**
 * Decodes an MLDv2 Maximum Response Code to milliseconds (RFC 3810 §5.1.3):
 * below 32768 it is the value itself, above it a floating-point form
 * (mant | 0x1000) << (exp + 3).
 */
export function mldMaxResponseDelayMs(code: number): number {
  if (code < 0x8000) return code;
  const exp = (code >>> 12) & 0x7;
  const mant = code & 0x0fff;
  return (mant | 0x1000) * 2 ** (exp + 3);
}

/** Decodes QQIC to seconds (RFC 3810 §5.1.9): same scheme on 8 bits. */
export function mldQqicSeconds(qqic: number): number {
  if (qqic < 0x80) return qqic;
  const exp = (qqic >>> 4) & 0x7;
  const mant = qqic & 0x0f;
  return (mant | 0x10) << (exp + 3);
}
