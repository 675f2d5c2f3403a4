import { seqAdd, seqGe, type Seq } from '../../core/seq.js';
import { CongestionBase } from './base.js';
import type { AckSample, CongestionOptions } from './types.js';

/**
 * Reno congestion control (RFC 5681 §3.1): slow start with Appropriate Byte
 * Counting (RFC 3465, L = 2 segments per ACK unless configured), congestion
 * avoidance growing cwnd by one MSS per cwnd of acknowledged bytes (the
 * byte-counting form of cwnd += SMSS·SMSS/cwnd, as Linux's
 * `tcp_reno_cong_avoid()` counts packets), and on congestion
 * ssthresh = max(FlightSize / 2, 2·SMSS) (RFC 5681 eq. 4).
 *
 * Linux's `tcp_reno_ssthresh()` halves cwnd rather than FlightSize; we keep
 * the RFC's FlightSize since cwnd never grows while application-limited.
 *
 * The "New" part (RFC 6582: the recovery point and partial ACKs) lives with
 * the connection's recovery state; {@link NewRenoRecovery} holds it.
 */
export class NewReno extends CongestionBase {
  readonly name = 'newreno' as const;

  constructor(options: CongestionOptions = {}) {
    super(options, 2);
  }

  onAck(s: AckSample): void {
    this.mss = s.mss;
    // Linux tcp_reno_cong_avoid(): no growth unless cwnd is what limits us.
    if (!s.cwndLimited || s.ackedBytes <= 0) return;
    let acked = s.ackedBytes;
    if (this.inSlowStart) {
      acked = this.slowStart(acked, s.mss);
      if (acked <= 0) return;
    }
    this.additiveIncrease(this.cwnd, acked, s.mss);
  }

  protected reductionSsthresh(bytesInFlight: number, mss: number): number {
    return Math.max(Math.floor(bytesInFlight / 2), 2 * mss);
  }

  protected reset(): void {}
}

/** How an ACK relates to the recovery point (RFC 6582 §3.2). */
export type RecoveryAck = 'not-in-recovery' | 'partial' | 'full';

/**
 * NewReno's recovery bookkeeping (RFC 6582 §3.2), for the connection to
 * hold beside its congestion controller. `recover` is stored as Linux's
 * `high_seq`: SND.NXT when recovery began, one past RFC 6582's "highest
 * sequence number transmitted".
 *
 * Use by the connection:
 *  - On the third duplicate ACK (or RACK/SACK loss), call {@link mayEnter}
 *    with the ACK: false means the duplicates are from the previous
 *    episode's retransmissions (step 2) — do not retransmit or reduce again.
 *    Otherwise {@link enter}(SND.NXT), retransmit, and
 *    `cc.onCongestionEvent('fast-retransmit', ...)`.
 *  - On each ACK advancing SND.UNA during recovery, {@link onAck}:
 *    `'partial'` → retransmit the first unacknowledged segment at once
 *    (step 5) and, on the first partial ACK only, restart the RTO timer
 *    ({@link firstPartial}, the "Impatient" variant RFC 6582 §4.2 prefers);
 *    `'full'` → recovery is over: `cc.onRecoveryEnd()` (step 6).
 *  - With PRR (what Linux and this stack do), cwnd during recovery comes
 *    from `../prr.ts`. Without PRR, {@link inflatedCwnd},
 *    {@link deflateOnPartialAck} and {@link cwndOnFullAck} give RFC 5681
 *    §3.2 / RFC 6582's classic window inflation and deflation.
 */
export class NewRenoRecovery {
  /** SND.NXT when the current (or last) recovery began. */
  recover: Seq;
  /** Whether fast recovery is in progress. */
  inRecovery = false;
  /** Whether the ACK last classified as partial was the first of this recovery. */
  firstPartial = false;
  private partials = 0;

  /** RFC 6582 §3.2 step 1: recover starts at the ISS (stored +1, see above). */
  constructor(iss: Seq) {
    this.recover = seqAdd(iss, 1);
  }

  /**
   * RFC 6582 §3.2 step 2: duplicate ACKs may start a fast retransmit only if
   * the cumulative ACK covers more than the previous recovery point.
   */
  mayEnter(ack: Seq): boolean {
    return seqGe(ack, this.recover);
  }

  /** RFC 6582 §3.2 step 3: fast retransmit starts; remember SND.NXT. */
  enter(sndNxt: Seq): void {
    this.recover = sndNxt;
    this.inRecovery = true;
    this.partials = 0;
    this.firstPartial = false;
  }

  /** Classifies an ACK that advanced SND.UNA (RFC 6582 §3.2 steps 5 and 6). */
  onAck(ack: Seq): RecoveryAck {
    if (!this.inRecovery) return 'not-in-recovery';
    if (seqGe(ack, this.recover)) {
      this.inRecovery = false;
      return 'full';
    }
    this.firstPartial = this.partials === 0;
    this.partials++;
    return 'partial';
  }

  /** Leaves recovery without a full ACK (an RTO; RFC 6582 §3.2 note on timeouts). */
  abort(sndNxt: Seq): void {
    this.recover = sndNxt;
    this.inRecovery = false;
  }

  /** RFC 5681 §3.2 step 4: cwnd on entering fast recovery, ssthresh + 3·SMSS. */
  static inflatedCwnd(ssthresh: number, mss: number): number {
    return ssthresh + 3 * mss;
  }

  /**
   * RFC 6582 §3.2 step 5: on a partial ACK, deflate cwnd by the newly
   * acknowledged bytes, then add back one SMSS if at least one SMSS was
   * acknowledged.
   */
  static deflateOnPartialAck(cwnd: number, newlyAcked: number, mss: number): number {
    return Math.max(mss, cwnd - newlyAcked + (newlyAcked >= mss ? mss : 0));
  }

  /**
   * RFC 6582 §3.2 step 6, option (1): on the full ACK,
   * cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
   */
  static cwndOnFullAck(ssthresh: number, flightSize: number, mss: number): number {
    return Math.min(ssthresh, Math.max(flightSize, mss) + mss);
  }
}
