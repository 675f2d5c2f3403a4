import { SeededRandom } from '../core/random.js';
import { INTERESTING_VALUES } from '../craft/fields.js';

/** Stream values drawn at a time (see {@link Dice.u32}). */
const DRAW_BATCH = 256;

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
  /**
   * Running RFC 1071 sums over the noise block, one per word parity:
   * `wordSums[i]` is the sum of the big-endian 16-bit words starting at i,
   * i − 2, i − 4, … ≥ 0 (at most 16 384 words of 0xffff: below 2^32). With
   * them, the checksum contribution of a view of the block ({@link bytes})
   * costs two reads instead of a pass.
   */
  private readonly wordSums = new Uint32Array(NOISE_BYTES * 2 - 1);
  /** The last view {@link bytes} handed out, and its offset in the noise block. */
  private lastView: Uint8Array | null = null;
  private lastAt = 0;
  /** Draws taken from the stream ahead of use, and the index of the next one to hand out. */
  private readonly draws = new Uint32Array(DRAW_BATCH);
  private drawn = DRAW_BATCH;
  private bits = 0;
  private spare = 0;

  constructor(seed: number) {
    this.rng = new SeededRandom(seed);
    this.rng.fill(this.noise);
    const w = this.wordSums;
    const z = this.noise;
    for (let i = 0; i < w.length; i++) w[i] = ((z[i]! << 8) | z[i + 1]!) + (i >= 2 ? w[i - 2]! : 0);
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    if (this.drawn === DRAW_BATCH) this.refill();
    return this.draws[this.drawn++]!;
  }

  /**
   * Draws the next batch of the stream in one tight loop. The dice are the
   * stream's only reader, so values come out in the same order as drawn one
   * at a time: a seed still names the same run.
   */
  private refill(): void {
    const rng = this.rng;
    const d = this.draws;
    for (let i = 0; i < DRAW_BATCH; i++) d[i] = rng.u32();
    this.drawn = 0;
  }

  /** Eight random bits, taken from a 32-bit draw four at a time. */
  byte(): number {
    if (this.spare === 0) {
      this.bits = this.u32();
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
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
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
    return this.chance(30) ? INTERESTING_VALUES[this.below(INTERESTING_VALUES.length)]! >>> 0 : this.u32();
  }

  /**
   * `n` random bytes: exactly what {@link fill} would write into a fresh
   * array (the same draws), but for 17 to 16 384 bytes a view of the noise
   * block itself, with no allocation or copy. The caller must only read
   * it (a write would change every later payload): it suits bytes that are
   * copied into a packet at once.
   */
  bytes(n: number): Uint8Array {
    if (n > 16 && n <= NOISE_BYTES) {
      const at = this.below(NOISE_BYTES);
      const v = this.noise.subarray(at, at + n);
      this.lastView = v;
      this.lastAt = at;
      return v;
    }
    const b = new Uint8Array(Math.max(0, n));
    this.fill(b, 0, n);
    return b;
  }

  /**
   * The unfolded RFC 1071 sum of `v` as big-endian 16-bit words (an odd
   * last byte padded with zero, RFC 1071 §4.1) — what `sumBytes(v)` gives,
   * up to folding — when `v` is the view {@link bytes} handed out last
   * (payloads are built into a packet right after they are drawn); -1 for
   * any other array.
   */
  noiseSum(v: Uint8Array): number {
    if (v !== this.lastView) return -1;
    const a = this.lastAt;
    const n = v.length;
    const words = n >>> 1;
    let sum = 0;
    if (words > 0) sum = this.wordSums[a + 2 * words - 2]! - (a >= 2 ? this.wordSums[a - 2]! : 0);
    if ((n & 1) !== 0) sum += this.noise[a + n - 1]! << 8;
    return sum;
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
      const v = this.u32();
      b[i] = v;
      b[i + 1] = v >>> 8;
      b[i + 2] = v >>> 16;
      b[i + 3] = v >>> 24;
    }
    if (i < end) {
      let v = this.u32();
      for (; i < end; i++, v >>>= 8) b[i] = v;
    }
  }
}
