import { CongestionBase } from './base.js';
import { HyStartPlusPlus } from './hystart.js';
import type { AckSample, CongestionOptions } from './types.js';

/** RFC 9438 §5: C = 0.4 (segments / s³). */
export const CUBIC_C = 0.4;
/** RFC 9438 §4.6: β_cubic = 0.7. */
export const CUBIC_BETA = 0.7;
/** RFC 9438 §4.3: α_cubic = 3(1 − β)/(1 + β), the Reno-friendly additive increase. */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

/** RFC 9438 §4.2 Figure 1: W_cubic(t) = C·(t − K)³ + W_max (segments; t and K in seconds). */
export function wCubic(tSec: number, wMax: number, kSec: number): number {
  const d = tSec - kSec;
  return CUBIC_C * d * d * d + wMax;
}

/** RFC 9438 §4.2 Figure 2: K = ∛((W_max − cwnd_epoch)/C) (seconds; 0 when cwnd_epoch ≥ W_max). */
export function cubicK(wMax: number, cwndEpoch: number): number {
  return wMax > cwndEpoch ? Math.cbrt((wMax - cwndEpoch) / CUBIC_C) : 0;
}

/** Options for {@link Cubic}. */
export interface CubicOptions extends CongestionOptions {
  /** RFC 9438 §4.7 fast convergence (default true, as Linux). */
  fastConvergence?: boolean;
  /** HyStart++ (RFC 9406) in the initial slow start (default true). */
  hystart?: boolean;
}

/**
 * CUBIC (RFC 9438), the default controller, as Linux's. Windows are tracked
 * in bytes (`cwnd`, `ssthresh`) but the cubic function runs in segments and
 * seconds, as the RFC writes it:
 *
 * - On congestion (§4.6, §4.7): W_max = cwnd, or cwnd·(1+β)/2 when cwnd is
 *   below the previous W_max (fast convergence); ssthresh = β·cwnd (at least
 *   2 segments), rounded down to whole segments as Linux's integer
 *   arithmetic does. Like Linux, β multiplies cwnd, not FlightSize, which
 *   RFC 9438 §4.6 allows because cwnd cannot grow while the sender is
 *   application-limited (`cwndLimited`).
 * - In congestion avoidance (§4.2-§4.5): at the first ACK of a new epoch,
 *   K = ∛((W_max − cwnd_epoch)/C); each ACK moves cwnd towards
 *   target = W_cubic(t + RTT) clamped to [cwnd, 1.5·cwnd], growing by
 *   (target − cwnd)/cwnd per acknowledged segment. RTT is the minimum
 *   observed RTT, as Linux's `delay_min`.
 * - Reno-friendly region (§4.3): W_est grows by α_cubic·acked/cwnd per ACK
 *   (α_cubic = 1 once W_est reaches cwnd_prior); while W_cubic(t) < W_est,
 *   cwnd follows W_est instead.
 * - When W_max ≤ cwnd at the epoch start (after a timeout, after HyStart++,
 *   or after an undo), K = 0 and W_max = cwnd_epoch (§4.8, §4.10; Linux's
 *   `bic_origin_point = cwnd`).
 * - Slow start is RFC 5681's with HyStart++ (RFC 9406) in the initial one.
 */
export class Cubic extends CongestionBase {
  readonly name = 'cubic' as const;
  /** W_max (segments); 0 when unknown. */
  wMax = 0;
  /** K (seconds) of the current epoch. */
  k = 0;
  /** Start of the current congestion avoidance epoch (µs), or -1 if none. */
  epochStart = -1;
  /** cwnd at the start of the epoch (segments). */
  cwndEpoch = 0;
  /** W_est, the Reno-friendly estimate (segments). */
  wEst = 0;
  /** cwnd when ssthresh was last set (segments). */
  cwndPrior = 0;
  /** Minimum RTT seen since the last reset (µs; Infinity if none). */
  delayMinUs = Infinity;
  readonly hystart = new HyStartPlusPlus();

  private readonly fastConvergence: boolean;
  private readonly useHystart: boolean;
  /** Fractional-growth remainder in CSS (bytes × divisor). */
  private cssBytes = 0;
  private saved = { wMax: 0, k: 0, epochStart: -1, cwndEpoch: 0, wEst: 0, cwndPrior: 0 };

  constructor(options: CubicOptions = {}) {
    super(options, 8);
    this.fastConvergence = options.fastConvergence ?? true;
    this.useHystart = options.hystart ?? true;
  }

  onAck(s: AckSample): void {
    this.mss = s.mss;
    const mss = s.mss;
    if (s.rttUs >= 0 && s.rttUs < this.delayMinUs) this.delayMinUs = Math.max(1, s.rttUs);
    if (this.inSlowStart && this.hystart.phase !== 'done') {
      if (!this.useHystart || this.ssthresh !== Infinity) {
        this.hystart.stop();
      } else if (this.hystart.onAck(s.sndUna, s.sndNxt, s.rttUs) === 'done') {
        // RFC 9406 §4.2: CSS is over; congestion avoidance from here.
        this.ssthresh = this.cwnd;
        this.cwndPrior = this.cwnd / mss;
        this.wMax = 0;
        this.epochStart = -1;
        return;
      }
    }
    if (!s.cwndLimited || s.ackedBytes <= 0) return;
    let acked = s.ackedBytes;
    if (this.inSlowStart) {
      if (this.hystart.phase === 'css') {
        // RFC 9406: cwnd += min(N, L·SMSS) / CSS_GROWTH_DIVISOR.
        this.cssBytes += Math.min(acked, this.ssLimit * mss);
        const div = this.hystart.growthDivisor;
        const inc = Math.floor(this.cssBytes / div);
        this.cssBytes -= inc * div;
        this.cwnd += inc;
        return;
      }
      acked = this.slowStart(acked, mss);
      if (acked <= 0) return;
    }
    this.congestionAvoidance(s.now, acked, mss);
  }

  override onSendAfterIdle(now: number, idleUs: number): void {
    // Linux bictcp_cwnd_event(CA_EVENT_TX_START), RFC 9438 §5.8: the idle
    // time must not count as growth time of the epoch.
    if (this.epochStart >= 0 && idleUs > 0) {
      this.epochStart = Math.min(now, this.epochStart + idleUs);
    }
  }

  protected reductionSsthresh(bytesInFlight: number, mss: number, now: number): number {
    const cwndSeg = this.cwnd / mss;
    this.epochStart = -1;
    this.hystart.stop();
    // RFC 9438 §4.7 fast convergence: release bandwidth for new flows.
    if (this.fastConvergence && cwndSeg < this.wMax) this.wMax = (cwndSeg * (1 + CUBIC_BETA)) / 2;
    else this.wMax = cwndSeg;
    this.cwndPrior = cwndSeg;
    // β·cwnd in whole segments (β = 7/10 exactly in integer arithmetic).
    const segs = Math.max(Math.floor((Math.floor(cwndSeg) * 7) / 10), 2);
    return segs * mss;
  }

  protected reset(): void {
    this.wMax = 0;
    this.k = 0;
    this.epochStart = -1;
    this.cwndEpoch = 0;
    this.wEst = 0;
    this.cwndPrior = 0;
    this.delayMinUs = Infinity;
    this.cssBytes = 0;
    this.hystart.reset();
    if (!this.useHystart) this.hystart.stop();
  }

  protected override onLoss(): void {
    // Linux bictcp_reset() on CA_EVENT_LOSS; RFC 9438 §4.8: after a timeout
    // the next epoch has K = 0 and W_max = cwnd at its start.
    this.wMax = 0;
    this.k = 0;
    this.epochStart = -1;
    this.delayMinUs = Infinity;
    this.hystart.stop();
  }

  protected override saveAlgorithmState(): void {
    const s = this.saved;
    s.wMax = this.wMax;
    s.k = this.k;
    s.epochStart = this.epochStart;
    s.cwndEpoch = this.cwndEpoch;
    s.wEst = this.wEst;
    s.cwndPrior = this.cwndPrior;
  }

  protected override restoreForUndo(): void {
    // RFC 9438 §4.9: a spurious congestion event restores W_max, K, the
    // epoch, W_est and cwnd_prior too (Linux restores only cwnd/ssthresh).
    const s = this.saved;
    this.wMax = s.wMax;
    this.k = s.k;
    this.epochStart = s.epochStart;
    this.cwndEpoch = s.cwndEpoch;
    this.wEst = s.wEst;
    this.cwndPrior = s.cwndPrior;
  }

  private congestionAvoidance(now: number, acked: number, mss: number): void {
    const cwndSeg = this.cwnd / mss;
    if (this.epochStart < 0) {
      // RFC 9438 §4.2: a new epoch starts with the first ACK of congestion avoidance.
      this.epochStart = now;
      this.cwndEpoch = cwndSeg;
      if (this.wMax <= cwndSeg) {
        this.wMax = cwndSeg;
        this.k = 0;
      } else {
        this.k = cubicK(this.wMax, cwndSeg);
      }
      this.wEst = cwndSeg;
    }
    const t = (now - this.epochStart) / 1e6;
    const rtt = Number.isFinite(this.delayMinUs) ? this.delayMinUs / 1e6 : 0;
    // §4.2: target = W_cubic(t + RTT), within [cwnd, 1.5 cwnd].
    let target = wCubic(t + rtt, this.wMax, this.k);
    if (target < cwndSeg) target = cwndSeg;
    else if (target > 1.5 * cwndSeg) target = 1.5 * cwndSeg;
    // Segments acknowledged per one-segment increase of cwnd.
    let cnt = target > cwndSeg ? cwndSeg / (target - cwndSeg) : 100 * cwndSeg;
    // §4.3 Reno-friendly region.
    const alpha = this.wEst >= this.cwndPrior ? 1 : CUBIC_ALPHA;
    this.wEst += (alpha * (acked / mss)) / cwndSeg;
    if (wCubic(t, this.wMax, this.k) < this.wEst && this.wEst > cwndSeg) {
      cnt = Math.min(cnt, cwndSeg / (this.wEst - cwndSeg));
    }
    this.additiveIncrease(cnt * mss, acked, mss);
  }
}
