import { seqGt, type Seq } from '../core/seq.js';

/** RFC 6298 §2.1: the RTO before any RTT sample (Linux TCP_TIMEOUT_INIT). */
export const RTO_INITIAL_US = 1_000_000;
/** Lower bound of the RTO: Linux TCP_RTO_MIN, 200 ms (RFC 6298 §2.4 allows less than its 1 s). */
export const RTO_MIN_US = 200_000;
/** Upper bound of the RTO: Linux TCP_RTO_MAX, 120 s (RFC 6298 §2.5 allows a maximum of at least 60 s). */
export const RTO_MAX_US = 120_000_000;
/** RFC 6298 §5 (5.7): the RTO when the handshake was retransmitted and gave no sample (Linux TCP_TIMEOUT_FALLBACK). */
export const RTO_FALLBACK_US = 3_000_000;
/** Window of the min-RTT filter: Linux sysctl tcp_min_rtt_wlen, 300 s. */
export const MIN_RTT_WINDOW_US = 300_000_000;

/**
 * How the RTO is derived from the samples.
 * - `'linux'` (default): Linux's `tcp_rtt_estimator()` + `__tcp_set_rto()`.
 *   SRTT is RFC 6298's; the variance term is the largest mean deviation seen
 *   over the last flight of data, never below the RTO minimum, and decays
 *   only once per round trip; deviations from RTT *decreases* get a smaller
 *   gain (1/32 instead of 1/4). So RTO = SRTT + max(4·RTTVAR, 200 ms): on a
 *   stable 100 ms path Linux retransmits after 300 ms, not the RFC's 200 ms,
 *   and packetdrill scripts written against Linux expect that.
 * - `'rfc6298'`: the letter of RFC 6298 §2: RTO = SRTT + max(G, 4·RTTVAR),
 *   then clamped to [rtoMin, rtoMax].
 */
export type RtoMode = 'linux' | 'rfc6298';

/** Options for {@link RttEstimator}. */
export interface RttOptions {
  mode?: RtoMode;
  /** Default {@link RTO_MIN_US} (Linux TCP_RTO_MIN; a route's `rto_min` can lower it). */
  rtoMinUs?: number;
  /** Default {@link RTO_MAX_US}. */
  rtoMaxUs?: number;
  /** Default {@link RTO_INITIAL_US}. */
  rtoInitialUs?: number;
  /** Clock granularity G of RFC 6298 §2 (rfc6298 mode only); default 1 ms, the TS clock tick. */
  granularityUs?: number;
  /** Window of the min-RTT filter; default {@link MIN_RTT_WINDOW_US}. */
  minRttWindowUs?: number;
}

/**
 * The retransmission timeout of one connection (RFC 6298), plus the
 * windowed minimum RTT Linux keeps beside it (used by RACK's reordering
 * window and by CUBIC/HyStart). All times are integer microseconds.
 *
 * Karn's rule (RFC 6298 §3, Karn & Partridge 1987) is the caller's: never
 * feed {@link sample} an RTT measured on a segment that was retransmitted,
 * because the ACK cannot tell which transmission it answers — unless the
 * measurement comes from the timestamp echo (RFC 7323 §4.2), which is
 * unambiguous; Linux takes TS-based samples for retransmitted data too.
 *
 * Backoff: on each RTO expiry call {@link backOff} (RFC 6298 §5 (5.5));
 * {@link timeoutUs} is then the base RTO doubled per backoff, capped at
 * rtoMax. A valid sample resets the backoff (Linux does this in
 * `tcp_ack_update_rtt()`, which RFC 6298 §5 (5.7)'s note allows).
 */
export class RttEstimator {
  /** Smoothed RTT (µs); 0 until the first sample. */
  srttUs = 0;
  /** RTT variation RTTVAR (µs), as `ss`/TCP_INFO show it (Linux: mdev/4). */
  rttvarUs = 0;
  /** The most recent sample (µs); 0 until the first. */
  latestUs = 0;
  /** Number of RTO expiries since the last valid sample (Linux icsk_backoff). */
  backoff = 0;
  /** Windowed minimum RTT over the last few minutes (Linux `tcp_min_rtt()`). */
  readonly minRtt: WindowedMinFilter;

  private readonly mode: RtoMode;
  private readonly rtoMin: number;
  private readonly rtoMax: number;
  private readonly granularity: number;
  private rto: number;
  // Linux mode state (tcp_sock fields): srtt·8, mdev (= 4·RTTVAR), its max
  // over the current flight, the variance term used for the RTO, and the
  // SND.NXT that ends the current flight.
  private srtt8 = 0;
  private mdev = 0;
  private mdevMax = 0;
  private rttvarTerm = 0;
  private rttSeq = 0 as Seq;

  constructor(options: RttOptions = {}) {
    this.mode = options.mode ?? 'linux';
    this.rtoMin = options.rtoMinUs ?? RTO_MIN_US;
    this.rtoMax = options.rtoMaxUs ?? RTO_MAX_US;
    this.granularity = options.granularityUs ?? 1000;
    this.rto = options.rtoInitialUs ?? RTO_INITIAL_US;
    this.minRtt = new WindowedMinFilter(options.minRttWindowUs ?? MIN_RTT_WINDOW_US);
  }

  /** Whether at least one sample has been taken. */
  get hasSample(): boolean {
    return this.latestUs > 0;
  }

  /** The RTO before backoff (µs): what `ss -ti` shows as `rto`. */
  get rtoUs(): number {
    return this.rto;
  }

  /** The minimum RTT in the window (µs); Infinity before the first sample. */
  get minRttUs(): number {
    return this.minRtt.value;
  }

  /**
   * The retransmission timer to arm now: the RTO doubled `backoff` times,
   * capped at rtoMax (RFC 6298 §5 (5.5), (5.6); Linux `inet_csk_rto_backoff()`).
   */
  get timeoutUs(): number {
    let t = this.rto;
    for (let i = 0; i < this.backoff && t < this.rtoMax; i++) t *= 2;
    return Math.min(t, this.rtoMax);
  }

  /**
   * Takes an RTT measurement `rttUs` (>= 0) at time `now`. `sndUna` and
   * `sndNxt` are the connection's values after processing the ACK; Linux
   * mode uses them to tell when a flight has been acknowledged (its variance
   * term decays once per flight). A sample of 0 counts as 1 µs.
   */
  sample(rttUs: number, now: number, sndUna: Seq, sndNxt: Seq): void {
    const m = Math.max(1, Math.round(rttUs));
    this.latestUs = m;
    this.minRtt.update(now, m);
    if (this.mode === 'linux') this.linuxSample(m, sndUna, sndNxt);
    else this.rfcSample(m);
    this.backoff = 0;
  }

  /** RTO expired: doubles the next timeout (RFC 6298 §5 (5.5)). */
  backOff(): void {
    this.backoff++;
  }

  /** Clears the backoff without a sample (e.g. when the caller restarts from scratch). */
  resetBackoff(): void {
    this.backoff = 0;
  }

  /**
   * RFC 6298 §5 (5.7): if the SYN or SYN-ACK was retransmitted and no RTT
   * sample came out of the handshake, use 3 s once data transfer starts
   * (Linux: `tcp_init_transfer()` with TCP_TIMEOUT_FALLBACK).
   */
  applyHandshakeFallback(): void {
    if (!this.hasSample) this.rto = Math.max(this.rto, RTO_FALLBACK_US);
  }

  private rfcSample(r: number): void {
    if (this.srttUs === 0) {
      // RFC 6298 §2 (2.2): first measurement.
      this.srttUs = r;
      this.rttvarUs = r / 2;
    } else {
      // RFC 6298 §2 (2.3), alpha = 1/8, beta = 1/4; RTTVAR uses the old SRTT.
      this.rttvarUs = 0.75 * this.rttvarUs + 0.25 * Math.abs(this.srttUs - r);
      this.srttUs = 0.875 * this.srttUs + 0.125 * r;
    }
    const rto = Math.ceil(this.srttUs + Math.max(this.granularity, 4 * this.rttvarUs));
    // RFC 6298 §2 (2.4), (2.5): lower and upper bounds.
    this.rto = Math.min(this.rtoMax, Math.max(this.rtoMin, rto));
  }

  private linuxSample(m: number, sndUna: Seq, sndNxt: Seq): void {
    if (this.srtt8 !== 0) {
      let err = m - Math.floor(this.srtt8 / 8);
      this.srtt8 += err; // srtt = 7/8 srtt + 1/8 m
      if (err < 0) {
        // An RTT decrease: Linux gives it a gain of 1/32 instead of 1/4 so a
        // sudden drop does not inflate the RTO (a variation of Eifel).
        err = -err - Math.floor(this.mdev / 4);
        if (err > 0) err = Math.floor(err / 8);
      } else {
        err -= Math.floor(this.mdev / 4);
      }
      this.mdev += err; // mdev = 3/4 mdev + 1/4 |err|
      if (this.mdev > this.mdevMax) {
        this.mdevMax = this.mdev;
        if (this.mdevMax > this.rttvarTerm) this.rttvarTerm = this.mdevMax;
      }
      if (seqGt(sndUna, this.rttSeq)) {
        // A flight has been acknowledged: let the variance term decay a
        // quarter of the way down to this flight's maximum.
        if (this.mdevMax < this.rttvarTerm) this.rttvarTerm -= Math.floor((this.rttvarTerm - this.mdevMax) / 4);
        this.rttSeq = sndNxt;
        this.mdevMax = this.rtoMin;
      }
    } else {
      // First measurement: SRTT = m, RTTVAR = m/2 (RFC 6298 (2.2)), so RTO = 3m.
      this.srtt8 = m * 8;
      this.mdev = m * 2;
      this.rttvarTerm = Math.max(this.mdev, this.rtoMin);
      this.mdevMax = this.rttvarTerm;
      this.rttSeq = sndNxt;
    }
    this.srtt8 = Math.max(1, this.srtt8);
    this.srttUs = Math.floor(this.srtt8 / 8);
    this.rttvarUs = Math.floor(this.mdev / 4);
    this.rto = Math.min(this.rtoMax, this.srttUs + this.rttvarTerm);
  }
}

/**
 * Kathleen Nichols' windowed minimum filter, as Linux's lib/minmax.c: the
 * best, second-best and third-best samples of the window, each in a later
 * sub-window, so the minimum over the last `windowUs` is known in O(1)
 * without keeping every sample. Times and values are µs.
 */
export class WindowedMinFilter {
  // Three (time, value) pairs; [0] is the current minimum.
  private t0 = 0;
  private v0 = Infinity;
  private t1 = 0;
  private v1 = Infinity;
  private t2 = 0;
  private v2 = Infinity;

  constructor(readonly windowUs: number) {}

  /** The minimum over the window; Infinity before any sample. */
  get value(): number {
    return this.v0;
  }

  /** Forgets everything and starts from one sample. */
  reset(now: number, v: number): void {
    this.t0 = this.t1 = this.t2 = now;
    this.v0 = this.v1 = this.v2 = v;
  }

  /** Adds a sample `v` taken at `now`; returns the new minimum. */
  update(now: number, v: number): number {
    const win = this.windowUs;
    if (v <= this.v0 || now - this.t2 > win) {
      // A new minimum, or nothing left in the window: start over.
      this.reset(now, v);
      return v;
    }
    if (v <= this.v1) {
      this.t1 = this.t2 = now;
      this.v1 = this.v2 = v;
    } else if (v <= this.v2) {
      this.t2 = now;
      this.v2 = v;
    }
    const dt = now - this.t0;
    if (dt > win) {
      // The best sample aged out: promote the second and third.
      this.shift(now, v);
      if (now - this.t0 > win) this.shift(now, v);
    } else if (this.t1 === this.t0 && dt > win / 4) {
      // A quarter window without a second choice: take one from now.
      this.t1 = this.t2 = now;
      this.v1 = this.v2 = v;
    } else if (this.t2 === this.t1 && dt > win / 2) {
      // Half a window without a third choice: take one from now.
      this.t2 = now;
      this.v2 = v;
    }
    return this.v0;
  }

  private shift(now: number, v: number): void {
    this.t0 = this.t1;
    this.v0 = this.v1;
    this.t1 = this.t2;
    this.v1 = this.v2;
    this.t2 = now;
    this.v2 = v;
  }
}
