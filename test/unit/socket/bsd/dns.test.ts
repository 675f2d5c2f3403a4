import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../../src/core/bytes.js';
import {
  answerAddresses, buildDnsMessage, buildDnsQuery, DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_CNAME, encodeDnsName,
  parseDnsMessage, sameDnsName,
} from '../../../../src/socket/bsd/dns.js';

/*
 * A response for www.example.com/A: a CNAME to example.com, then A and AAAA
 * records for it, every owner name and the CNAME target compressed
 * (pointers 0xc00c → offset 12 "www.example.com", 0xc010 → offset 16
 * "example.com"). Written by hand and checked with tshark 4 (decoded as 1
 * question, 3 answers: CNAME example.com, A 93.184.216.34, AAAA
 * 2606:2800:220:1:248:1893:25c8:1946).
 */
const RESPONSE = fromHex(
  'beef 8180 0001 0003 0000 0000' +
    '03777777 076578616d706c65 03636f6d 00 0001 0001' +
    'c00c 0005 0001 00000e10 0002 c010' +
    'c010 0001 0001 0000003c 0004 5db8d822' +
    'c010 001c 0001 0000003c 0010 26062800022000010248189325c81946',
);

describe('DNS codec (RFC 1035 §4.1)', () => {
  it('parses header, question and records, following compression pointers', () => {
    const r = parseDnsMessage(RESPONSE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const m = r.value;
    expect(m).toMatchObject({ id: 0xbeef, qr: true, opcode: 0, aa: false, tc: false, rd: true, ra: true, z: 0, rcode: 0 });
    expect(m.questions).toEqual([{ name: 'www.example.com', type: DNS_TYPE_A, class: 1 }]);
    expect(m.answers.map((a) => [a.name, a.type, a.ttl, a.target])).toEqual([
      ['www.example.com', DNS_TYPE_CNAME, 3600, 'example.com'],
      ['example.com', DNS_TYPE_A, 60, null],
      ['example.com', DNS_TYPE_AAAA, 60, null],
    ]);
    expect(toHex(m.answers[1]!.address!)).toBe('5db8d822');
    expect(toHex(m.answers[2]!.address!)).toBe('26062800022000010248189325c81946');
    // rdata is a view into the message, not a copy.
    expect(m.answers[1]!.rdata.buffer).toBe(RESPONSE.buffer);
  });

  it('answerAddresses follows the CNAME chain to the addresses of the canonical name', () => {
    const r = parseDnsMessage(RESPONSE);
    if (!r.ok) throw new Error(r.reason);
    const a = answerAddresses(r.value, 'WWW.Example.COM', DNS_TYPE_A);
    expect(a.canonical).toBe('example.com');
    expect(a.addresses.map((x) => toHex(x))).toEqual(['5db8d822']);
    expect(answerAddresses(r.value, 'www.example.com', DNS_TYPE_AAAA).addresses.length).toBe(1);
    expect(answerAddresses(r.value, 'other.example', DNS_TYPE_A).addresses).toEqual([]);
  });

  it('builds a query with RD set, exactly as a stub resolver sends it', () => {
    // id 0x1234, flags 0x0100 (RD), one question example.com A IN.
    expect(toHex(buildDnsQuery(0x1234, 'example.com', DNS_TYPE_A))).toBe(
      '12340100000100000000000007' + '6578616d706c65' + '03' + '636f6d' + '00' + '0001' + '0001',
    );
  });

  it('round-trips a response it builds (uncompressed)', () => {
    const b = buildDnsMessage({
      id: 7, qr: true, aa: true, rd: true, ra: true, rcode: 3,
      questions: [{ name: 'x.test', type: DNS_TYPE_AAAA, class: 1 }],
      authorities: [{ name: 'test', type: 6, ttl: 5, rdata: new Uint8Array([1, 2, 3]) }],
    });
    const r = parseDnsMessage(b);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ id: 7, qr: true, aa: true, rcode: 3, answers: [] });
    expect(r.value.authorities[0]).toMatchObject({ name: 'test', type: 6, class: 1, ttl: 5 });
    expect([...r.value.authorities[0]!.rdata]).toEqual([1, 2, 3]);
  });

  it('lets a builder write wrong counts and lengths on purpose; the parser refuses them', () => {
    const b = buildDnsMessage({ id: 1, questions: [{ name: 'a', type: 1, class: 1 }], ancount: 1 });
    expect(toHex(b.subarray(6, 8))).toBe('0001');
    expect(parseDnsMessage(b)).toEqual({ ok: false, reason: 'dns-truncated' });
    const c = buildDnsMessage({ id: 1, answers: [{ name: 'a', type: 1, ttl: 0, rdata: new Uint8Array(4), rdlength: 9 }] });
    expect(parseDnsMessage(c)).toEqual({ ok: false, reason: 'dns-truncated' });
  });

  it('refuses malformed names: pointer loops, forward pointers, reserved label types, names over 255 octets', () => {
    const header = '0000 0000 0001 0000 0000 0000';
    // A pointer to itself at offset 12.
    expect(parseDnsMessage(fromHex(header + 'c00c 0001 0001'))).toEqual({ ok: false, reason: 'dns-bad-pointer' });
    // A pointer forward (to offset 14).
    expect(parseDnsMessage(fromHex(header + 'c00e 0001 0001'))).toEqual({ ok: false, reason: 'dns-bad-pointer' });
    // Label types 01 and 10 (0x40, 0x80) are not defined for us.
    expect(parseDnsMessage(fromHex(header + '40 0001 0001'))).toEqual({ ok: false, reason: 'dns-bad-label' });
    // 5 labels of 63 octets: 320 octets on the wire.
    const long = ('3f' + '61'.repeat(63)).repeat(5) + '00';
    expect(parseDnsMessage(fromHex(header + long + '00010001'))).toEqual({ ok: false, reason: 'dns-name-too-long' });
    expect(parseDnsMessage(fromHex('0000'))).toEqual({ ok: false, reason: 'dns-truncated' });
  });

  it('encodeDnsName refuses what cannot be a name', () => {
    expect(toHex(encodeDnsName('a.bc.')!)).toBe('0161026263' + '00');
    expect(toHex(encodeDnsName('')!)).toBe('00');
    expect(encodeDnsName('a..b')).toBeNull();
    expect(encodeDnsName('x'.repeat(64))).toBeNull();
    expect(encodeDnsName(Array(128).fill('ab').join('.'))).toBeNull();
    expect(encodeDnsName('ü€')).toBeNull();
    expect(sameDnsName('Example.COM.', 'example.com')).toBe(true);
  });

  it('never throws on arbitrary bytes, nor on mutations of a valid response', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        const r = parseDnsMessage(b);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000, seed: 0x5eed },
    );
    fc.assert(
      fc.property(fc.nat(RESPONSE.length - 1), fc.nat(255), (i, v) => {
        const b = RESPONSE.slice();
        b[i] = v;
        const r = parseDnsMessage(b);
        if (r.ok) for (const a of r.value.answers) expect(a.rdata.length).toBeLessThanOrEqual(b.length);
      }),
      { numRuns: 2000, seed: 0x5eed },
    );
  });
});
