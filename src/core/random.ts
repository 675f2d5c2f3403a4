import { randomFillSync } from 'node:crypto';

/**
 * Randomness as the stack consumes it. The stack never calls `Math.random`:
 * tests inject a {@link SeededRandom} so a run repeats bit for bit, production
 * uses {@link CryptoRandom}.
 */
export interface RandomSource {
  /** A uniformly distributed unsigned 32-bit integer. */
  u32(): number;
  /** Fills `buf` with random bytes. */
  fill(buf: Uint8Array): void;
}

/** A uniformly distributed integer in [0, n), without modulo bias. */
export function randomBelow(rng: RandomSource, n: number): number {
  if (n <= 0 || n > 0x1_0000_0000) throw new RangeError(`randomBelow: bad bound ${n}`);
  const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
  for (;;) {
    const x = rng.u32();
    if (x < limit) return x % n;
  }
}

/** A float in [0, 1) from 32 random bits. */
export function randomUnit(rng: RandomSource): number {
  return rng.u32() / 0x1_0000_0000;
}

/**
 * xoshiro128** seeded through splitmix32: small, fast, and good enough for
 * tests, fault injection and fuzzing. Not for secrets.
 */
export class SeededRandom implements RandomSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    // The state is kept as int32 (the same bits as uint32): xor and shifts
    // on int32 stay in V8's small-integer fast path.
    this.s0 = next() | 0;
    this.s1 = next() | 0;
    this.s2 = next() | 0;
    this.s3 = next() | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  u32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const result = Math.imul(rotl32(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    const s2 = this.s2 ^ s0;
    const s3 = this.s3 ^ s1;
    this.s1 = s1 ^ s2;
    this.s0 = s0 ^ s3;
    this.s2 = s2 ^ t;
    this.s3 = rotl32(s3, 11);
    return result;
  }

  fill(buf: Uint8Array): void {
    let i = 0;
    for (; i + 4 <= buf.length; i += 4) {
      const v = this.u32();
      buf[i] = v & 0xff;
      buf[i + 1] = (v >>> 8) & 0xff;
      buf[i + 2] = (v >>> 16) & 0xff;
      buf[i + 3] = v >>> 24;
    }
    if (i < buf.length) {
      let v = this.u32();
      for (; i < buf.length; i++, v >>>= 8) buf[i] = v & 0xff;
    }
  }

  /** An independent generator derived from this one (for per-component streams). */
  fork(): SeededRandom {
    return new SeededRandom(this.u32());
  }
}

/** Cryptographically strong randomness from `node:crypto`, buffered. */
export class CryptoRandom implements RandomSource {
  private readonly pool = new Uint8Array(4096);
  private readonly view = new DataView(this.pool.buffer);
  private pos = this.pool.length;

  u32(): number {
    if (this.pos + 4 > this.pool.length) {
      randomFillSync(this.pool);
      this.pos = 0;
    }
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  fill(buf: Uint8Array): void {
    randomFillSync(buf);
  }
}

/** 32-bit rotate left on int32 bits. */
function rotl32(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
