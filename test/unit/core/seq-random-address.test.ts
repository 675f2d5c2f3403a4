import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatIPv4, formatIPv6, parseCidr, parseIPv4, parseIPv6 } from '../../../src/core/address.js';
import { toHex } from '../../../src/core/bytes.js';
import { randomBelow, SeededRandom } from '../../../src/core/random.js';
import { seq, seqAdd, seqBetween, seqDiff, seqGt, seqInWindow, seqLt } from '../../../src/core/seq.js';

describe('sequence numbers (RFC 9293 §3.4)', () => {
  it('compare correctly across the 2^32 wrap', () => {
    const a = seq(0xffff_fff0);
    const b = seqAdd(a, 0x20);
    expect(b).toBe(0x10);
    expect(seqLt(a, b)).toBe(true);
    expect(seqGt(b, a)).toBe(true);
    expect(seqDiff(b, a)).toBe(0x20);
    expect(seqInWindow(seq(5), a, 0x20)).toBe(true);
    expect(seqInWindow(seq(0x10), a, 0x20)).toBe(false);
    expect(seqInWindow(a, a, 0)).toBe(false);
    expect(seqBetween(seq(0), a, b)).toBe(true);
  });

  it('agree with exact arithmetic for distances below 2^31', () => {
    fc.assert(
      fc.property(fc.nat(0xffff_ffff), fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }), (x, d) => {
        const a = seq(x);
        const b = seqAdd(a, d);
        return seqDiff(b, a) === d && seqLt(a, b) === d > 0;
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});

describe('SeededRandom', () => {
  it('is reproducible per seed and differs across seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const xs = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.u32())).not.toEqual(xs);
    for (const x of xs) expect(x >>> 0).toBe(x);
  });

  it('fills buffers of any length deterministically and bounds randomBelow', () => {
    const buf1 = new Uint8Array(11);
    const buf2 = new Uint8Array(11);
    new SeededRandom(1).fill(buf1);
    new SeededRandom(1).fill(buf2);
    expect(toHex(buf1)).toBe(toHex(buf2));
    const r = new SeededRandom(9);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[randomBelow(r, 3)]!++;
    for (const n of counts) expect(n).toBeGreaterThan(800);
  });
});

describe('addresses', () => {
  it('parse and format IPv4, rejecting malformed text', () => {
    expect(parseIPv4('192.0.2.1')).toBe(0xc0000201);
    expect(formatIPv4(0xc6336401)).toBe('198.51.100.1');
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', 'a.b.c.d', '']) {
      expect(parseIPv4(bad)).toBeNull();
    }
  });

  it('parse IPv6 and format it canonically (RFC 5952)', () => {
    expect(formatIPv6(parseIPv6('2001:0db8:0000:0000:0000:0000:0000:0001')!)).toBe('2001:db8::1');
    expect(formatIPv6(parseIPv6('2001:db8:0:1:0:0:0:1')!)).toBe('2001:db8:0:1::1');
    expect(formatIPv6(parseIPv6('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6(parseIPv6('2001:db8:0:1:1:1:1:1')!)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIPv6(parseIPv6('::')!)).toBe('::');
    expect(formatIPv6(parseIPv6('::ffff:192.0.2.1')!)).toBe('::ffff:192.0.2.1');
    expect(toHex(parseIPv6('fe80::1')!)).toBe('fe800000000000000000000000000001');
    for (const bad of ['1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7']) {
      expect(parseIPv6(bad)).toBeNull();
    }
  });

  it('round-trips any IPv6 address through text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => toHex(parseIPv6(formatIPv6(b))!) === toHex(b)),
      { numRuns: 2000, seed: 3 },
    );
  });

  it('parses CIDR of both families', () => {
    expect(parseCidr('192.0.2.2/24')).toEqual({ family: 4, address: 0xc0000202, prefix: 24 });
    expect(parseCidr('192.0.2.2')).toEqual({ family: 4, address: 0xc0000202, prefix: 32 });
    expect(parseCidr('2001:db8::2/64')?.prefix).toBe(64);
    expect(parseCidr('192.0.2.2/33')).toBeNull();
    expect(parseCidr('192.0.2.2/x')).toBeNull();
  });
});
