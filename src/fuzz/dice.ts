import { SeededRandom } from '../core/random.js';
import { INTERESTING_VALUES } from '../craft/fields.js';

/** Size of the block of random bytes payloads are copied from. */
const NOISE_BYTES = 16 * 1024;

/**
 * The fuzzer's random choices, all drawn from one seeded xoshiro stream so
 * that a seed names a run. Bounded picks use a multiply-shift instead of
 * rejection sampling, and yes/no choices and small picks use one byte of a
 * draw rather than a whole draw: the bias (at most 1/256 of a percent
 * point, or n/256 for small picks) does not matter to a fuzzer, the speed does.
 */
export class Dice {
  private readonly rng: SeededRandom;
  /** Random bytes drawn once; payloads are copied from a random offset in it. */
  private readonly noise = new Uint8Array(NOISE_BYTES * 2);
  private bits = 0;
  private spare = 0;

  constructor(seed: number) {
    this.rng = new SeededRandom(seed);
    this.rng.fill(this.noise);
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    return this.rng.u32();
  }

  /** Eight random bits, taken from a 32-bit draw four at a time. */
  byte(): number {
    if (this.spare === 0) {
      this.bits = this.rng.u32();
      this.spare = 4;
    }
    const b = this.bits & 0xff;
    this.bits >>>= 8;
    this.spare--;
    return b;
  }

  /** An integer in [0, n) for 0 < n ≤ 2^32 (one byte of randomness for n ≤ 16); 0 when n ≤ 1. */
  below(n: number): number {
    if (n <= 1) return 0;
    if (n <= 16) return (this.byte() * n) >>> 8;
    return Math.floor((this.rng.u32() / 0x1_0000_0000) * n);
  }

  /** An integer in [lo, hi] (lo when hi < lo). */
  range(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  /** True with probability `percent` / 100, to the nearest 1/256 (one byte of randomness). */
  chance(percent: number): boolean {
    return this.byte() * 100 < percent * 256;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** A boundary value (0, 1, 0x7fff, 0xffffffff...) or, as often, a uniform 32-bit one. */
  value32(): number {
    return this.chance(30) ? INTERESTING_VALUES[this.below(INTERESTING_VALUES.length)]! >>> 0 : this.rng.u32();
  }

  /**
   * Fills `b[start..end)` with random bytes: short runs drawn fresh, longer
   * ones copied from a random offset of a block drawn at construction (a
   * memcpy instead of a draw per four bytes; payload bytes need no more).
   */
  fill(b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    if (n > 16) {
      let i = start;
      while (i < end) {
        const k = Math.min(end - i, NOISE_BYTES);
        const at = this.below(NOISE_BYTES);
        b.set(this.noise.subarray(at, at + k), i);
        i += k;
      }
      return;
    }
    let i = start;
    for (; i + 4 <= end; i += 4) {
      const v = this.rng.u32();
      b[i] = v;
      b[i + 1] = v >>> 8;
      b[i + 2] = v >>> 16;
      b[i + 3] = v >>> 24;
    }
    if (i < end) {
      let v = this.rng.u32();
      for (; i < end; i++, v >>>= 8) b[i] = v;
    }
  }
}
