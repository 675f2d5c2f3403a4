import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../src/core/address.js';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import {
  buildIgmp,
  igmpMaxResponseUs,
  igmpv3DecodeCode,
  igmpv3EncodeCode,
  parseIgmp,
  type IgmpQuery,
} from '../../../src/ip/igmp-header.js';

const G1 = parseIPv4('239.1.2.3')!;
const G2 = parseIPv4('239.9.9.9')!;
const S1 = parseIPv4('192.0.2.9')!;
const S2 = parseIPv4('192.0.2.10')!;

// Checksums computed independently (python, RFC 1071); the two v3 messages
// were also decoded by tshark ("[correct]").
const V3_GS_QUERY = fromHex('110a6f5d ef010203 0a7d0002 c0000209 c000020a'); // S=1, QRV 2, QQIC 125, 2 sources
const V3_REPORT = fromHex('22008e3c 00000002 01000001 ef010203 c0000209 06010000 ef090909 deadbeef');
const V3_GENERAL_QUERY = fromHex('1164ec1e 00000000 027d0000');
const V2_QUERY = fromHex('1164ee9b 00000000');
const V1_QUERY = fromHex('1100eeff 00000000');

function query(b: Uint8Array): IgmpQuery {
  const r = parseIgmp(b);
  if (!r.ok || r.value.kind !== 'query') throw new Error(`not a query: ${JSON.stringify(r)}`);
  return r.value;
}

describe('IGMP codec', () => {
  it('tells query versions apart by length and Max Resp Code (RFC 3376 §7.1)', () => {
    expect(query(V1_QUERY)).toMatchObject({ version: 1, maxRespCode: 0, group: 0 });
    expect(query(V2_QUERY)).toMatchObject({ version: 2, maxRespCode: 100, group: 0 });
    expect(query(V3_GENERAL_QUERY)).toMatchObject({ version: 3, maxRespCode: 100, group: 0, qrv: 2, qqic: 125, suppress: false, sources: [] });
    expect(query(V3_GS_QUERY)).toMatchObject({ version: 3, maxRespCode: 10, group: G1, qrv: 2, qqic: 125, suppress: true, sources: [S1, S2] });
  });

  it('parses a v3 report with sources and auxiliary data; aux data is a view', () => {
    const r = parseIgmp(V3_REPORT);
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.kind !== 'v3-report') return;
    expect(r.value.records).toHaveLength(2);
    expect(r.value.records[0]).toMatchObject({ recordType: 1, group: G1, sources: [S1] });
    expect(r.value.records[1]).toMatchObject({ recordType: 6, group: G2, sources: [] });
    expect(toHex(r.value.records[1]!.auxData)).toBe('deadbeef');
    expect(r.value.records[1]!.auxData.buffer).toBe(V3_REPORT.buffer);
  });

  it('builds the same bytes', () => {
    expect(toHex(buildIgmp({ kind: 'query', maxRespCode: 10, group: G1, v3: { suppress: true, qrv: 2, qqic: 125, sources: [S1, S2] } }))).toBe(
      toHex(V3_GS_QUERY),
    );
    expect(toHex(buildIgmp({ kind: 'query', maxRespCode: 100, v3: { qrv: 2, qqic: 125 } }))).toBe(toHex(V3_GENERAL_QUERY));
    expect(toHex(buildIgmp({ kind: 'query', maxRespCode: 100 }))).toBe(toHex(V2_QUERY));
    expect(
      toHex(
        buildIgmp({
          kind: 'v3-report',
          records: [
            { recordType: 1, group: G1, sources: [S1] },
            { recordType: 6, group: G2, auxData: fromHex('deadbeef') },
          ],
        }),
      ),
    ).toBe(toHex(V3_REPORT));
    expect(toHex(buildIgmp({ kind: 'v2-report', group: G1 }))).toBe('1600f8faef010203');
    expect(toHex(buildIgmp({ kind: 'leave', group: G1 }))).toBe('1700f7faef010203');
  });

  it('refuses damaged messages with a reason, never throwing', () => {
    expect(parseIgmp(V2_QUERY.subarray(0, 7))).toEqual({ ok: false, reason: 'igmp-truncated' });
    const bad = V2_QUERY.slice();
    bad[7] = 1;
    expect(parseIgmp(bad)).toEqual({ ok: false, reason: 'igmp-bad-checksum' });
    // A 10-octet query is neither v2 nor v3: RFC 3376 §7.1 says ignore it.
    const ten = buildIgmp({ kind: 'query', maxRespCode: 1, v3: {} }).subarray(0, 10);
    expect(parseIgmp(ten, false)).toEqual({ ok: false, reason: 'igmp-bad-query-length' });
    // Number of Sources claims more than is there.
    expect(parseIgmp(buildIgmp({ kind: 'query', maxRespCode: 1, v3: { numSources: 3, sources: [S1] } }))).toEqual({
      ok: false,
      reason: 'igmp-truncated',
    });
    expect(parseIgmp(buildIgmp({ kind: 'v3-report', records: [{ recordType: 2, group: G1 }], numRecords: 2 }))).toEqual({
      ok: false,
      reason: 'igmp-truncated',
    });
    const unknown = buildIgmp({ kind: 'v2-report', group: G1 });
    unknown[0] = 0x30;
    expect(parseIgmp(unknown, false)).toMatchObject({ ok: true, value: { kind: 'unknown', type: 0x30 } });
  });

  it('decodes and encodes the RFC 3376 §4.1.1 floating-point codes', () => {
    expect(igmpv3DecodeCode(127)).toBe(127);
    expect(igmpv3DecodeCode(0x80)).toBe(128); // mant 0, exp 0: 0x10 << 3
    expect(igmpv3DecodeCode(0x8a)).toBe(208); // (0x1a) << 3
    expect(igmpv3DecodeCode(0xff)).toBe(31744); // (0x1f) << 10
    for (const code of [0, 1, 100, 127, 0x80, 0x8a, 0x9f, 0xc5, 0xff]) expect(igmpv3EncodeCode(igmpv3DecodeCode(code))).toBe(code);
    expect(igmpMaxResponseUs(query(V1_QUERY))).toBe(10_000_000);
    expect(igmpMaxResponseUs(query(V2_QUERY))).toBe(10_000_000);
    expect(igmpMaxResponseUs(query(buildIgmp({ kind: 'query', maxRespCode: 0x80, v3: {} })))).toBe(12_800_000);
  });

  it('never throws on arbitrary bytes, and v3 reports round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (b, verify) => {
        parseIgmp(b, verify);
      }),
      { numRuns: 1000, seed: 0x1a2b },
    );
    const record = fc.record({
      recordType: fc.integer({ min: 1, max: 6 }),
      group: fc.integer({ min: 0xe0000000, max: 0xefffffff }),
      sources: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 5 }), (records) => {
        const r = parseIgmp(buildIgmp({ kind: 'v3-report', records }));
        expect(r.ok && r.value.kind === 'v3-report' && r.value.records.map((x) => ({ recordType: x.recordType, group: x.group, sources: x.sources }))).toEqual(records);
      }),
      { numRuns: 1000, seed: 0x3c4d },
    );
  });
});
