import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../../src/core/address.js';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import { buildUdp, parseUdp, udpChecksumValid } from '../../../src/udp/header.js';

const A = parseIPv4('192.0.2.1')!;
const B = parseIPv4('192.0.2.2')!;

describe('UDP codec', () => {
  // A DNS-ish datagram 192.0.2.1:53000 -> 192.0.2.2:53 with payload "hi".
  // Checksum worked by hand: pseudo (c000+0201+c000+0202+0011+000a) + header
  // (cf08+0035+000a) + payload 6869 = 0x2_bbce -> 0xbbd0 -> ~ = 0x442f.
  const bytes = fromHex('cf08 0035 000a 442f 6869');

  it('parses fields and exposes the payload as a view', () => {
    const r = parseUdp(bytes);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ srcPort: 53000, dstPort: 53, length: 10, checksum: 0x442f });
    expect(toHex(r.value.payload)).toBe('6869');
    expect(r.value.payload.buffer).toBe(bytes.buffer);
  });

  it('builds the same bytes, checksum included', () => {
    const b = buildUdp({ srcPort: 53000, dstPort: 53, payload: new TextEncoder().encode('hi') }, A, B);
    expect(toHex(b)).toBe(toHex(bytes));
    expect(udpChecksumValid(b, A, B)).toBe(true);
    expect(udpChecksumValid(b, A, parseIPv4('192.0.2.3')!)).toBe(false);
  });

  it('refuses truncated and inconsistent datagrams with a reason', () => {
    expect(parseUdp(bytes.subarray(0, 7))).toEqual({ ok: false, reason: 'udp-truncated' });
    expect(parseUdp(fromHex('cf08 0035 0007 0000'))).toEqual({ ok: false, reason: 'udp-bad-length' });
    expect(parseUdp(fromHex('cf08 0035 000b 0000 6869'))).toEqual({ ok: false, reason: 'udp-truncated' });
  });

  it('treats a zero checksum as "none" over IPv4 only (RFC 768, RFC 8200 §8.1)', () => {
    const b = buildUdp({ srcPort: 1, dstPort: 2, checksum: 0 });
    expect(udpChecksumValid(b, A, B)).toBe(true);
    const v6 = new Uint8Array(16);
    expect(udpChecksumValid(b, v6, v6)).toBe(false);
  });

  it('lets a fuzzer write wrong derived fields on purpose', () => {
    const b = buildUdp({ srcPort: 1, dstPort: 2, length: 999, checksum: 0xbeef }, A, B);
    expect(toHex(b)).toBe('00010002' + '03e7' + 'beef');
  });
});
