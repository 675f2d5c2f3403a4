import type { IPv4Address, IPv6Address } from './address.js';
import type { RandomSource } from './random.js';

/**
 * SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF",
 * 2012): a keyed 64-bit pseudo-random function for short inputs. The stack
 * uses it wherever a number must be unpredictable to an off-path attacker yet
 * repeatable for the same inputs — the RFC 6528 ISN offset, RFC 6056 port
 * selection, SYN cookies, timestamp offsets — as Linux does with `siphash()`
 * in net/core/secure_seq.c and net/ipv4/syncookies.c.
 *
 * JavaScript has no 64-bit integer arithmetic short of BigInt (which
 * allocates), so each 64-bit lane is a pair of uint32 halves.
 */
export class SipHash24 {
  /** The key as four little-endian 32-bit words: k0 lo, k0 hi, k1 lo, k1 hi. */
  private readonly k = new Uint32Array(4);
  /** State v0..v3, each as [lo, hi]: v[0]=v0.lo, v[1]=v0.hi, ... */
  private readonly v = new Uint32Array(8);

  /** `key` must be exactly 16 bytes (the paper's k0 || k1, little-endian). */
  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`SipHash24: key must be 16 bytes, got ${key.length}`);
    for (let i = 0; i < 4; i++) this.k[i] = readLe32(key, 4 * i);
  }

  /** A SipHash keyed with 16 fresh bytes from `random`. */
  static fromRandom(random: RandomSource): SipHash24 {
    const key = new Uint8Array(16);
    random.fill(key);
    return new SipHash24(key);
  }

  /**
   * Hashes `msg[0, len)`. Returns the low 32 bits of the 64-bit tag; when
   * `out` is given, also stores the tag there as `[lo, hi]`. No allocation.
   */
  hash(msg: Uint8Array, len: number = msg.length, out?: Uint32Array): number {
    if (len > msg.length) throw new RangeError('SipHash24: len beyond message');
    const v = this.v;
    const k = this.k;
    // Initialisation: the constants are "somepseudorandomlygeneratedbytes".
    v[0] = k[0]! ^ 0x70736575;
    v[1] = k[1]! ^ 0x736f6d65;
    v[2] = k[2]! ^ 0x6e646f6d;
    v[3] = k[3]! ^ 0x646f7261;
    v[4] = k[0]! ^ 0x6e657261;
    v[5] = k[1]! ^ 0x6c796765;
    v[6] = k[2]! ^ 0x79746573;
    v[7] = k[3]! ^ 0x74656462;

    const full = len - (len % 8);
    for (let i = 0; i < full; i += 8) {
      this.compress(readLe32(msg, i), readLe32(msg, i + 4));
    }
    // Last block: the remaining 0..7 bytes, with len mod 256 in the top byte.
    let lo = 0;
    let hi = (len & 0xff) << 24;
    const rem = len - full;
    for (let j = 0; j < rem; j++) {
      const byte = msg[full + j]!;
      if (j < 4) lo |= byte << (8 * j);
      else hi |= byte << (8 * (j - 4));
    }
    this.compress(lo >>> 0, hi >>> 0);

    // Finalisation: v2 ^= 0xff, four rounds, tag = v0 ^ v1 ^ v2 ^ v3.
    v[4] = (v[4]! ^ 0xff) >>> 0;
    sipRound(v);
    sipRound(v);
    sipRound(v);
    sipRound(v);
    const tagLo = (v[0]! ^ v[2]! ^ v[4]! ^ v[6]!) >>> 0;
    const tagHi = (v[1]! ^ v[3]! ^ v[5]! ^ v[7]!) >>> 0;
    if (out !== undefined) {
      out[0] = tagLo;
      out[1] = tagHi;
    }
    return tagLo;
  }

  /** The full 64-bit tag as a bigint (tests and diagnostics; allocates). */
  hashBigInt(msg: Uint8Array, len: number = msg.length): bigint {
    const out = new Uint32Array(2);
    this.hash(msg, len, out);
    return (BigInt(out[1]!) << 32n) | BigInt(out[0]!);
  }

  private compress(mLo: number, mHi: number): void {
    const v = this.v;
    v[6] = v[6]! ^ mLo;
    v[7] = v[7]! ^ mHi;
    sipRound(v);
    sipRound(v);
    v[0] = v[0]! ^ mLo;
    v[1] = v[1]! ^ mHi;
  }
}

/** One SipRound over the state array (see the paper's Figure 2.1). */
function sipRound(v: Uint32Array): void {
  // v0 += v1; v1 <<<= 13; v1 ^= v0; v0 <<<= 32
  add(v, 0, 2);
  rotl(v, 2, 13);
  xor(v, 2, 0);
  swapHalves(v, 0);
  // v2 += v3; v3 <<<= 16; v3 ^= v2
  add(v, 4, 6);
  rotl(v, 6, 16);
  xor(v, 6, 4);
  // v0 += v3; v3 <<<= 21; v3 ^= v0
  add(v, 0, 6);
  rotl(v, 6, 21);
  xor(v, 6, 0);
  // v2 += v1; v1 <<<= 17; v1 ^= v2; v2 <<<= 32
  add(v, 4, 2);
  rotl(v, 2, 17);
  xor(v, 2, 4);
  swapHalves(v, 4);
}

/** v[a] += v[b] (64-bit, wrapping); a and b index the low halves. */
function add(v: Uint32Array, a: number, b: number): void {
  const lo = v[a]! + v[b]!;
  v[a + 1] = v[a + 1]! + v[b + 1]! + (lo > 0xffffffff ? 1 : 0);
  v[a] = lo;
}

/** v[a] ^= v[b] (64-bit). */
function xor(v: Uint32Array, a: number, b: number): void {
  v[a] = v[a]! ^ v[b]!;
  v[a + 1] = v[a + 1]! ^ v[b + 1]!;
}

/** v[a] <<<= n for 0 < n < 32. */
function rotl(v: Uint32Array, a: number, n: number): void {
  const lo = v[a]!;
  const hi = v[a + 1]!;
  v[a] = (lo << n) | (hi >>> (32 - n));
  v[a + 1] = (hi << n) | (lo >>> (32 - n));
}

/** v[a] <<<= 32: swap the halves. */
function swapHalves(v: Uint32Array, a: number): void {
  const lo = v[a]!;
  v[a] = v[a + 1]!;
  v[a + 1] = lo;
}

function readLe32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/**
 * A SipHash-2-4 over a small fixed-layout message assembled field by field in
 * a reusable buffer: `h.reset().address(a).address(b).u32(ports).digest32()`.
 * What the ISN, port, cookie and timestamp-offset generators hash. No
 * allocation per use.
 */
export class KeyedHasher {
  private readonly sip: SipHash24;
  private readonly buf = new Uint8Array(64);
  private readonly tag = new Uint32Array(2);
  private len = 0;

  /** `key` is 16 bytes. */
  constructor(key: Uint8Array) {
    this.sip = new SipHash24(key);
  }

  /** A hasher keyed with 16 fresh bytes from `random`. */
  static fromRandom(random: RandomSource): KeyedHasher {
    const key = new Uint8Array(16);
    random.fill(key);
    return new KeyedHasher(key);
  }

  /** Starts a new message. */
  reset(): this {
    this.len = 0;
    return this;
  }

  /** Appends a 32-bit word (little-endian, as Linux's siphash_Nu32 reads its words). */
  u32(v: number): this {
    const o = this.reserve(4);
    const b = this.buf;
    b[o] = v & 0xff;
    b[o + 1] = (v >>> 8) & 0xff;
    b[o + 2] = (v >>> 16) & 0xff;
    b[o + 3] = (v >>> 24) & 0xff;
    return this;
  }

  /**
   * Appends an address: 4 bytes for IPv4, 16 for IPv6. The two families give
   * messages of different lengths, so they never collide with each other.
   */
  address(a: IPv4Address | IPv6Address): this {
    if (typeof a === 'number') return this.u32(a);
    if (a.length !== 16) throw new RangeError('KeyedHasher: IPv6 address must be 16 bytes');
    const o = this.reserve(16);
    this.buf.set(a, o);
    return this;
  }

  /** Low 32 bits of the tag of the message so far. */
  digest32(): number {
    return this.sip.hash(this.buf, this.len, this.tag);
  }

  /** High 32 bits of the tag computed by the last {@link digest32}. */
  get lastHigh32(): number {
    return this.tag[1]!;
  }

  private reserve(n: number): number {
    const o = this.len;
    if (o + n > this.buf.length) throw new RangeError('KeyedHasher: message longer than 64 bytes');
    this.len = o + n;
    return o;
  }
}
