import { describe, expect, it } from 'vitest';
import { readU16, readU32, toHex } from '../../../src/core/bytes.js';
import {
  applyMutation,
  build,
  dissect,
  emptyDissection,
  fixChecksums,
  ipv4,
  ipv6,
  L3_IPV4,
  L3_IPV6,
  mutatePacket,
  oneFieldOff,
  tcp,
  udp,
} from '../../../src/craft/index.js';
import { ipv4HeaderChecksumValid, parseIpv4 } from '../../../src/ip/ipv4-header.js';
import { tcpChecksumValid } from '../../../src/tcp/header.js';
import { udpChecksumValid } from '../../../src/udp/header.js';

const ME = 0xc0000202;
const IT = 0xc0000201;
const syn = (): Uint8Array =>
  build(ipv4({ src: ME, dst: IT, options: [{ type: 148, data: Uint8Array.of(0, 0) }] }, tcp({ srcPort: 1, dstPort: 7, seq: 100, flags: 'S', options: [{ kind: 'mss', value: 1460 }, { kind: 'wscale', shift: 7 }] }, Uint8Array.of(1, 2))));

describe('dissect', () => {
  it('finds the IPv4 header, options, the TCP header and its options', () => {
    const p = syn();
    const d = dissect(p, p.length, emptyDissection());
    expect(d.l3).toBe(L3_IPV4);
    expect(d.ipHeaderLength).toBe(24);
    expect(d.ipOptionsOffset).toBe(20);
    expect(d.ipOptionsLength).toBe(4);
    expect(d.l4Protocol).toBe(6);
    expect(d.l4Offset).toBe(24);
    expect(d.l4ChecksumOffset).toBe(40);
    expect(d.tcpOptionsOffset).toBe(44);
    expect(d.tcpOptionsLength).toBe(8);
    expect(d.ipEnd).toBe(p.length);
  });

  it('walks IPv6 extension headers to the transport, and stops at later fragments', () => {
    const p = build(ipv6({ src: '2001:db8::2', dst: '2001:db8::1', extensions: [{ kind: 'dstopts', options: [] }] }, udp({ srcPort: 1, dstPort: 2 })));
    const d = dissect(p, p.length, emptyDissection());
    expect(d.l3).toBe(L3_IPV6);
    expect(d.l4Protocol).toBe(17);
    expect(d.l4Offset).toBe(48);
    const f = build(ipv6({ src: '2001:db8::2', dst: '2001:db8::1', extensions: [{ kind: 'fragment', offset: 8, more: false, identification: 1 }] }, udp({ srcPort: 1, dstPort: 2 })));
    const df = dissect(f, f.length, emptyDissection());
    expect(df.laterFragment).toBe(true);
    expect(df.l4Offset).toBe(-1);
  });

  it('never reads past the bytes it has', () => {
    const d = emptyDissection();
    for (let n = 0; n <= 60; n++) {
      const cut = syn().subarray(0, n);
      expect(() => dissect(cut, n, d)).not.toThrow();
      if (d.l4ChecksumOffset >= 0) expect(d.l4ChecksumOffset + 2).toBeLessThanOrEqual(n);
    }
  });
});

describe('mutations', () => {
  it('flip toggles one bit, byte sets one byte, truncate and extend change the length', () => {
    const p = syn();
    expect(mutatePacket(p, [{ op: 'flip', a: 8 * 9 + 7, b: 0 }])[9]).toBe(7); // protocol 6 -> 7
    expect(mutatePacket(p, [{ op: 'byte', a: 8, b: 1 }])[8]).toBe(1); // TTL 1
    expect(mutatePacket(p, [{ op: 'truncate', a: 30, b: 0 }]).length).toBe(30);
    const e = mutatePacket(p, [{ op: 'extend', a: 2, b: 0xab }]);
    expect(e.length).toBe(p.length + 3);
    expect(toHex(e.subarray(p.length))).toBe('ababab');
  });

  it('field sets a named header field: interesting values, small deltas, raw values', () => {
    const p = syn();
    // Field 3 is IPv4 total length; mode 0 picks INTERESTING_VALUES[1] = 1.
    expect(readU16(mutatePacket(p, [{ op: 'field', a: 3, b: (1 << 2) | 0 }]), 2)).toBe(1);
    // Field 12 + 2 is the TCP sequence number; mode 1 with v = 16 + 5 adds 5.
    expect(readU32(mutatePacket(p, [{ op: 'field', a: 14, b: ((16 + 5) << 2) | 1 }]), 24 + 4)).toBe(105);
    // Mode 2: the value itself (masked): TCP window (field 12 + 7).
    expect(readU16(mutatePacket(p, [{ op: 'field', a: 19, b: (0x1234 << 2) | 2 }]), 24 + 14)).toBe(0x1234);
  });

  it('optlen makes an option length lie; fixsum then repairs every checksum', () => {
    const p = syn();
    const m = mutatePacket(p, [{ op: 'optlen', a: 1, b: 0 }, { op: 'fixsum', a: 0, b: 0 }]);
    expect(m[45]).toBe(0); // the MSS option's length octet (TCP options, first option)
    const h = parseIpv4(m);
    expect(h.ok).toBe(true);
    if (h.ok) expect(tcpChecksumValid(h.value.payload, ME, IT)).toBe(true);
    const ipLie = mutatePacket(p, [{ op: 'optlen', a: 0, b: 9 }]);
    expect(ipLie[21]).toBe(9); // the Router Alert option's length octet
  });

  it('badsum spoils exactly the chosen checksum', () => {
    const p = syn();
    const ip = mutatePacket(p, [{ op: 'badsum', a: 0, b: 0 }]);
    expect(ipv4HeaderChecksumValid(ip)).toBe(false);
    expect(tcpChecksumValid(ip.subarray(24), ME, IT)).toBe(true);
    const l4 = mutatePacket(p, [{ op: 'badsum', a: 1, b: 0 }]);
    expect(ipv4HeaderChecksumValid(l4)).toBe(true);
    expect(tcpChecksumValid(l4.subarray(24), ME, IT)).toBe(false);
  });

  it('fixlen + fixsum make a truncated datagram consistent again', () => {
    const p = build(ipv4({ src: ME, dst: IT }, udp({ srcPort: 1, dstPort: 2 }, new Uint8Array(20).fill(7))));
    const cut = mutatePacket(p, [{ op: 'truncate', a: 38, b: 0 }, { op: 'fixlen', a: 0, b: 0 }, { op: 'fixsum', a: 0, b: 0 }]);
    expect(readU16(cut, 2)).toBe(38);
    expect(ipv4HeaderChecksumValid(cut)).toBe(true);
    // The UDP length field still says 28: the one lie left.
    expect(readU16(cut, 24)).toBe(28);
  });

  it('fixChecksums computes what the codecs would (UDP 0 sent as 0xffff)', () => {
    const p = build(ipv4({ src: ME, dst: IT }, udp({ srcPort: 1, dstPort: 2 }, Uint8Array.of(1, 2, 3))));
    const q = p.slice();
    q[10] = 0;
    q[11] = 0;
    q[26] = 0x55;
    q[27] = 0x55;
    fixChecksums(q, q.length);
    expect(toHex(q)).toBe(toHex(p));
    expect(udpChecksumValid(q.subarray(20), ME, IT)).toBe(true);
  });

  it('oneFieldOff moves one field and keeps checksums right, unless the field is a checksum', () => {
    const p = syn();
    const ttl = oneFieldOff(p, 7, -3);
    expect(ttl[8]).toBe(61);
    expect(ipv4HeaderChecksumValid(ttl)).toBe(true);
    const cs = oneFieldOff(p, 9, 1);
    expect(readU16(cs, 10)).toBe((readU16(p, 10) + 1) & 0xffff);
    expect(ipv4HeaderChecksumValid(cs)).toBe(false);
  });

  it('never throws and never grows past the buffer, whatever the parameters', () => {
    const buf = new Uint8Array(80);
    const d = emptyDissection();
    const p = syn();
    let len = 0;
    for (let i = 0; i < 5000; i++) {
      if (i % 7 === 0) {
        buf.set(p.subarray(0, Math.min(p.length, 80)));
        len = Math.min(p.length, 80);
      }
      const ops = ['flip', 'byte', 'field', 'truncate', 'extend', 'optlen', 'badsum', 'fixsum', 'fixlen'] as const;
      len = applyMutation(buf, len, { op: ops[i % ops.length]!, a: (i * 2654435761) >>> 0, b: (i * 40503) >>> 0 }, d);
      expect(len).toBeGreaterThanOrEqual(0);
      expect(len).toBeLessThanOrEqual(80);
    }
  });
});
