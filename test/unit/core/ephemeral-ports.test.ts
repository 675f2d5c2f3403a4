import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../../../src/core/address.js';
import { EphemeralPortAllocator } from '../../../src/core/ephemeral-ports.js';
import { SeededRandom } from '../../../src/core/random.js';

const L = parseIPv4('192.0.2.2')!;
const R = parseIPv4('192.0.2.1')!;
const free = (): boolean => false;

describe('EphemeralPortAllocator (RFC 6056 Algorithm 4)', () => {
  it('uses Linux ip_local_port_range by default and stays inside it', () => {
    const ports = new EphemeralPortAllocator(new SeededRandom(1));
    expect([ports.low, ports.high, ports.size]).toEqual([32768, 60999, 28232]);
    for (let i = 0; i < 50; i++) {
      const p = ports.select(L, R, 80 + i, free);
      expect(p).toBeGreaterThanOrEqual(32768);
      expect(p).toBeLessThanOrEqual(60999);
    }
  });

  it('is deterministic for a given seed', () => {
    const a = new EphemeralPortAllocator(new SeededRandom(5));
    const b = new EphemeralPortAllocator(new SeededRandom(5));
    const seqA = [1, 2, 3].map(() => a.select(L, R, 443, free));
    const seqB = [1, 2, 3].map(() => b.select(L, R, 443, free));
    expect(seqA).toEqual(seqB);
    const c = new EphemeralPortAllocator(new SeededRandom(6));
    expect(c.select(L, R, 443, free)).not.toBe(seqA[0]);
  });

  it('gives successive connections to one destination successive ports (the T[index] counter)', () => {
    const ports = new EphemeralPortAllocator(new SeededRandom(2), { low: 1000, high: 1999 });
    const p1 = ports.select(L, R, 80, free);
    const p2 = ports.select(L, R, 80, free);
    const p3 = ports.select(L, R, 80, free);
    expect(p2).toBe(p1 === 1999 ? 1000 : p1 + 1);
    expect(p3).toBe(p2 === 1999 ? 1000 : p2 + 1);
  });

  it('spreads different destinations over the range (the keyed offset F)', () => {
    const ports = new EphemeralPortAllocator(new SeededRandom(3));
    const picked = new Set<number>();
    for (let i = 0; i < 20; i++) picked.add(ports.select(L, parseIPv4(`198.51.100.${i + 1}`)!, 80, free));
    expect(picked.size).toBeGreaterThan(15);
    const v6 = ports.select(parseIPv6('2001:db8::2')!, parseIPv6('2001:db8::1')!, 80, free);
    expect(v6).toBeGreaterThanOrEqual(32768);
  });

  it('skips ports in use and takes the next candidate', () => {
    const probe = new EphemeralPortAllocator(new SeededRandom(4), { low: 5000, high: 5009 });
    const first = probe.select(L, R, 80, free);
    const ports = new EphemeralPortAllocator(new SeededRandom(4), { low: 5000, high: 5009 });
    const taken = new Set([first, first === 5009 ? 5000 : first + 1]);
    const p = ports.select(L, R, 80, (x) => taken.has(x));
    expect(p).toBe(5000 + ((first - 5000 + 2) % 10));
  });

  it('tries each port of the range exactly once, and finds the last free one', () => {
    const ports = new EphemeralPortAllocator(new SeededRandom(8), { low: 40000, high: 40999 });
    const tried: number[] = [];
    const p = ports.select(L, R, 80, (x) => {
      tried.push(x);
      return x !== 40321;
    });
    expect(p).toBe(40321);
    expect(new Set(tried).size).toBe(tried.length);
    expect(tried.length).toBeLessThanOrEqual(1000);
  });

  it('returns -1 when every port is taken, after trying each once', () => {
    const ports = new EphemeralPortAllocator(new SeededRandom(9), { low: 100, high: 355 });
    const tried = new Set<number>();
    let calls = 0;
    expect(
      ports.select(L, R, 80, (x) => {
        calls++;
        tried.add(x);
        return true;
      }),
    ).toBe(-1);
    expect(calls).toBe(256);
    expect(tried.size).toBe(256);
  });

  it('refuses a bad range', () => {
    const rng = new SeededRandom(1);
    expect(() => new EphemeralPortAllocator(rng, { low: 2000, high: 1000 })).toThrow(RangeError);
    expect(() => new EphemeralPortAllocator(rng, { low: 0, high: 10 })).toThrow(RangeError);
    expect(() => new EphemeralPortAllocator(rng, { high: 70000 })).toThrow(RangeError);
  });
});
