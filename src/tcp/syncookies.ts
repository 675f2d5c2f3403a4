import type { Clock } from '../core/clock.js';
import type { RandomSource } from '../core/random.js';
import { fail, ok, type ParseResult } from '../core/result.js';
import { seq, seqAdd, type Seq } from '../core/seq.js';
import { KeyedHasher } from '../core/siphash.js';
import type { IpAddress } from '../ip/types.js';

/**
 * SYN cookies (RFC 4987 §3.6) laid out as Linux lays them out
 * (net/ipv4/syncookies.c), so that a listener whose SYN queue is full can
 * answer a SYN statelessly and rebuild the connection from the final ACK.
 *
 * The cookie is our ISN:
 *
 *     cookie = H0(tuple) + peerISN + (count << 24) + ((H1(tuple, count) + mssIndex) mod 2^24)
 *
 * where `count` is a minute counter from the clock, H0 and H1 are SipHash
 * with two independent secrets, and `mssIndex` picks an entry of a small MSS
 * table. The ACK completing the handshake carries `cookie + 1` and the peer's
 * `ISN + 1`, from which both are recovered. A cookie is accepted during the
 * minute it was made and the next (Linux MAX_SYNCOOKIE_AGE = 2 counter
 * values).
 *
 * Options that do not fit in the ISN travel in the low 6 bits of our TSval
 * when the peer offered timestamps (Linux `cookie_init_timestamp()`): bits
 * 0-3 the peer's window scale (15 = none), bit 4 SACK-permitted, bit 5 ECN.
 * The peer echoes that TSval in the ACK's TSecr. Without timestamps the
 * connection gets no window scaling, SACK or ECN — so, like Linux, the
 * SYN-ACK should then carry only MSS.
 */

/** Linux's IPv4 MSS table (`msstab` in syncookies.c): 536, 1300, 1440 (PPPoE), 1460. */
export const SYNCOOKIE_MSS_V4: readonly number[] = [536, 1300, 1440, 1460];
/** Linux's IPv6 MSS table: 1280-60, 1480-60, 1500-60, 9000-60. */
export const SYNCOOKIE_MSS_V6: readonly number[] = [1220, 1420, 1440, 8940];

/** Cookie counter period: one minute (Linux TCP_SYNCOOKIE_PERIOD), in µs. */
export const SYNCOOKIE_PERIOD_US = 60_000_000;
/** A cookie is valid for this many counter values (Linux MAX_SYNCOOKIE_AGE). */
export const SYNCOOKIE_MAX_AGE = 2;

const COOKIE_BITS = 24;
const COOKIE_MASK = (1 << COOKIE_BITS) - 1;

/** Bits of the TSval low 6 bits (Linux TS_OPT_*). */
const TS_WSCALE_MASK = 0xf;
const TS_SACK = 1 << 4;
const TS_ECN = 1 << 5;
const TS_BITS = 6;

/** The SYN options a cookie can carry in the TSval. */
export interface CookieOptions {
  /** The window scale the peer offered (0..14), or -1 if it offered none. */
  readonly wscale: number;
  /** The peer sent SACK-permitted. */
  readonly sackPermitted: boolean;
  /** The peer asked for ECN (and we agreed). */
  readonly ecn: boolean;
}

/** What a valid cookie ACK gives back. */
export interface DecodedCookie extends CookieOptions {
  /** The MSS to use: the table entry chosen when the cookie was made. */
  readonly mss: number;
  /** Whether the options came from the TS echo (false: no wscale/SACK/ECN). */
  readonly fromTimestamp: boolean;
}

/** The cookie to put in the SYN-ACK and the MSS it commits us to. */
export interface CookieIsn {
  readonly isn: Seq;
  /** The MSS table entry encoded (the largest entry not above the peer's MSS, Linux rounding). */
  readonly mss: number;
}

/**
 * Makes and checks SYN cookies for one stack. Reasons returned by
 * {@link validate}: `syncookie-expired` (counter outside the two-minute
 * window — also what most forged cookies hit, their counter bits being
 * random) and `syncookie-bad-hash` (the MSS index left after removing the
 * hash is not a table index: a forged or corrupted cookie).
 */
export class SynCookies {
  private readonly h0: KeyedHasher;
  private readonly h1: KeyedHasher;

  /** Secrets (two 128-bit keys, as Linux's `syncookie_secret[2]`) come from `random`. */
  constructor(
    private readonly clock: Clock,
    random: RandomSource,
  ) {
    this.h0 = KeyedHasher.fromRandom(random);
    this.h1 = KeyedHasher.fromRandom(random);
  }

  /** The current cookie counter: minutes of the stack clock (Linux `tcp_cookie_time()`). */
  counter(): number {
    return Math.floor(this.clock.now() / SYNCOOKIE_PERIOD_US) >>> 0;
  }

  /**
   * The ISN for a SYN-ACK answered with a cookie. `peerIsn` is the SYN's
   * sequence number, `peerMss` the MSS it offered (already clamped by any
   * TCP_MAXSEG). Linux picks the largest table entry not above `peerMss`,
   * and the smallest entry when `peerMss` is below all of them.
   */
  makeIsn(
    localAddr: IpAddress,
    localPort: number,
    remoteAddr: IpAddress,
    remotePort: number,
    peerIsn: Seq,
    peerMss: number,
  ): CookieIsn {
    const table = typeof localAddr === 'number' ? SYNCOOKIE_MSS_V4 : SYNCOOKIE_MSS_V6;
    let index = table.length - 1;
    while (index > 0 && peerMss < table[index]!) index--;
    const count = this.counter();
    const h0 = this.hash(this.h0, localAddr, localPort, remoteAddr, remotePort, 0);
    const h1 = this.hash(this.h1, localAddr, localPort, remoteAddr, remotePort, count);
    const cookie = h0 + peerIsn + ((count << COOKIE_BITS) >>> 0) + ((h1 + index) & COOKIE_MASK);
    return { isn: seq(cookie), mss: table[index]! };
  }

  /**
   * Checks the ACK that completes a cookie handshake (Linux
   * `cookie_v4_check()`): `segSeq` and `segAck` are the ACK's SEQ and ACK
   * fields, `tsEcr` its TSecr minus our timestamp offset for this peer, or
   * -1 if it carries no timestamp option.
   */
  validate(
    localAddr: IpAddress,
    localPort: number,
    remoteAddr: IpAddress,
    remotePort: number,
    segSeq: Seq,
    segAck: Seq,
    tsEcr: number,
  ): ParseResult<DecodedCookie> {
    const table = typeof localAddr === 'number' ? SYNCOOKIE_MSS_V4 : SYNCOOKIE_MSS_V6;
    const cookie = seqAdd(segAck, -1);
    const peerIsn = seqAdd(segSeq, -1);
    const h0 = this.hash(this.h0, localAddr, localPort, remoteAddr, remotePort, 0);
    // Strip H0 and the peer ISN: what is left is (count << 24) + (H1 + index) mod 2^24.
    const rest = (cookie - h0 - peerIsn) >>> 0;
    const now = this.counter();
    const diff = (now - (rest >>> COOKIE_BITS)) & (0xffffffff >>> COOKIE_BITS);
    if (diff >= SYNCOOKIE_MAX_AGE) return fail('syncookie-expired');
    const h1 = this.hash(this.h1, localAddr, localPort, remoteAddr, remotePort, (now - diff) >>> 0);
    const index = (rest - h1) & COOKIE_MASK;
    if (index >= table.length) return fail('syncookie-bad-hash');
    if (tsEcr < 0) {
      return ok({ mss: table[index]!, wscale: -1, sackPermitted: false, ecn: false, fromTimestamp: false });
    }
    const opts = decodeCookieTimestamp(tsEcr);
    return ok({ mss: table[index]!, ...opts, fromTimestamp: true });
  }

  private hash(
    h: KeyedHasher,
    localAddr: IpAddress,
    localPort: number,
    remoteAddr: IpAddress,
    remotePort: number,
    count: number,
  ): number {
    // Linux hashes (saddr, daddr, sport << 16 | dport, count) of the incoming SYN.
    return h
      .reset()
      .address(remoteAddr)
      .address(localAddr)
      .u32(((remotePort & 0xffff) << 16) | (localPort & 0xffff))
      .u32(count)
      .digest32();
  }
}

/**
 * The TSval for a cookie SYN-ACK (Linux `cookie_init_timestamp()`): the
 * current TS clock `tsNow` (without the connection's offset) with its low 6
 * bits replaced by the options, stepped back by 64 if that would put it in
 * the future — so our TS clock never appears to run backwards later. The
 * caller adds its timestamp offset and sends the result as TSval.
 */
export function cookieTimestamp(tsNow: number, opts: CookieOptions): number {
  let bits = opts.wscale >= 0 ? opts.wscale & TS_WSCALE_MASK : TS_WSCALE_MASK;
  if (opts.sackPermitted) bits |= TS_SACK;
  if (opts.ecn) bits |= TS_ECN;
  const now = tsNow >>> 0;
  let ts = (((now >>> TS_BITS) << TS_BITS) | bits) >>> 0;
  // Compare in 32-bit wrap-around space.
  if (((ts - now) | 0) > 0) ts = (ts - (1 << TS_BITS)) >>> 0;
  return ts;
}

/**
 * Decodes the options from an echoed cookie TSval (Linux
 * `cookie_timestamp_decode()`), `tsEcr` being the TSecr minus our offset.
 * The 4-bit field holds 0..14, or 15 for "no window scaling". Whether the
 * stack still has SACK/ECN/window scaling enabled is the caller's check.
 */
export function decodeCookieTimestamp(tsEcr: number): CookieOptions {
  const w = tsEcr & TS_WSCALE_MASK;
  return {
    wscale: w === TS_WSCALE_MASK ? -1 : w,
    sackPermitted: (tsEcr & TS_SACK) !== 0,
    ecn: (tsEcr & TS_ECN) !== 0,
  };
}
