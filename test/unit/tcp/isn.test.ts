import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../../../src/core/address.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { SeededRandom } from '../../../src/core/random.js';
import { seqDiff } from '../../../src/core/seq.js';
import { IsnGenerator } from '../../../src/tcp/isn.js';

const L = parseIPv4('192.0.2.2')!;
const R = parseIPv4('192.0.2.1')!;

describe('IsnGenerator (RFC 6528)', () => {
  it('is deterministic for a given seed and clock', () => {
    const a = new IsnGenerator(new VirtualClock(5_000_000), new SeededRandom(42));
    const b = new IsnGenerator(new VirtualClock(5_000_000), new SeededRandom(42));
    expect(a.isn(L, 40000, R, 80)).toBe(b.isn(L, 40000, R, 80));
    const c = new IsnGenerator(new VirtualClock(5_000_000), new SeededRandom(43));
    expect(c.isn(L, 40000, R, 80)).not.toBe(a.isn(L, 40000, R, 80));
  });

  it('advances by one every 4 µs for the same 4-tuple (M, RFC 9293 §3.4.1)', () => {
    const clock = new VirtualClock(0);
    const gen = new IsnGenerator(clock, new SeededRandom(1));
    const first = gen.isn(L, 40000, R, 80);
    clock.advance(3);
    expect(gen.isn(L, 40000, R, 80)).toBe(first);
    clock.advance(1);
    expect(seqDiff(gen.isn(L, 40000, R, 80), first)).toBe(1);
    clock.advance(400_000 - 4);
    expect(seqDiff(gen.isn(L, 40000, R, 80), first)).toBe(100_000);
  });

  it('wraps around the sequence space after 2^32 ticks', () => {
    const clock = new VirtualClock(0);
    const gen = new IsnGenerator(clock, new SeededRandom(1));
    const first = gen.isn(L, 40000, R, 80);
    clock.advance(4 * 0x1_0000_0000);
    expect(gen.isn(L, 40000, R, 80)).toBe(first);
  });

  it('differs across 4-tuples (F is a keyed hash of all four fields)', () => {
    const gen = new IsnGenerator(new VirtualClock(0), new SeededRandom(7));
    const base = gen.isn(L, 40000, R, 80);
    const others = [
      gen.isn(L, 40001, R, 80),
      gen.isn(L, 40000, R, 81),
      gen.isn(L, 40000, parseIPv4('192.0.2.3')!, 80),
      gen.isn(parseIPv4('192.0.2.4')!, 40000, R, 80),
      gen.isn(R, 80, L, 40000), // the reverse direction is another tuple
    ];
    expect(new Set([base, ...others]).size).toBe(6);
  });

  it('handles IPv6 tuples', () => {
    const gen = new IsnGenerator(new VirtualClock(0), new SeededRandom(7));
    const a6 = parseIPv6('2001:db8::2')!;
    const b6 = parseIPv6('2001:db8::1')!;
    const x = gen.isn(a6, 40000, b6, 80);
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThan(2 ** 32);
    expect(gen.isn(a6, 40000, b6, 80)).toBe(x);
    expect(gen.isn(a6, 40001, b6, 80)).not.toBe(x);
  });

  it('gives timestamp offsets per address pair, like Linux secure_tcp_ts_off()', () => {
    const clock = new VirtualClock(0);
    const gen = new IsnGenerator(clock, new SeededRandom(9));
    const off = gen.tsOffset(L, R);
    clock.advance(10_000_000);
    expect(gen.tsOffset(L, R)).toBe(off); // not time-dependent
    expect(gen.tsOffset(L, parseIPv4('192.0.2.3')!)).not.toBe(off);
    expect(gen.tsOffset(R, L)).not.toBe(off);
    // Independent of the ISN secret: the same tuple gives unrelated values.
    expect(gen.tsOffset(L, R)).not.toBe(gen.isn(L, 0, R, 0));
  });
});
