import {
  initialWindow,
  type AckSample,
  type CongestionAlgorithm,
  type CongestionControl,
  type CongestionEventKind,
  type CongestionOptions,
} from './types.js';

/**
 * What NewReno and CUBIC share, following the Linux code paths both use
 * (tcp_input.c / tcp_cong.c): slow start with a per-ACK limit, byte-counted
 * additive increase, undo bookkeeping, the end of a reduction, RTO and idle
 * restart. Subclasses supply ssthresh on congestion and the growth in
 * congestion avoidance.
 */
export abstract class CongestionBase implements CongestionControl {
  abstract readonly name: CongestionAlgorithm;
  cwnd = 0;
  ssthresh = Infinity;

  /** MSS of the last call that gave one (for clamping in setCwnd). */
  protected mss = 1;
  /** Bytes acknowledged towards the next additive increase (Linux snd_cwnd_cnt, in bytes). */
  protected caBytes = 0;
  /** cwnd before the last undoable reduction (Linux prior_cwnd). */
  protected priorCwnd = 0;
  /** ssthresh to restore on undo; 0 = nothing to undo (Linux prior_ssthresh). */
  protected priorSsthresh = 0;
  /** Slow start growth limit per ACK, segments (RFC 3465 L). */
  protected readonly ssLimit: number;

  protected constructor(
    protected readonly options: CongestionOptions,
    defaultSsLimit: number,
  ) {
    this.ssLimit = options.slowStartLimitSegments ?? defaultSsLimit;
  }

  get inSlowStart(): boolean {
    return this.cwnd < this.ssthresh;
  }

  init(mss: number, now: number): void {
    this.mss = mss;
    this.cwnd = initialWindow(mss, this.options);
    this.ssthresh = Infinity;
    this.caBytes = 0;
    this.priorCwnd = 0;
    this.priorSsthresh = 0;
    this.reset(now);
  }

  abstract onAck(sample: AckSample): void;

  onCongestionEvent(kind: CongestionEventKind, now: number, bytesInFlight: number, mss: number): void {
    this.mss = mss;
    if (kind === 'fast-retransmit') {
      // Linux tcp_enter_recovery(): remember what to restore if the
      // retransmission turns out spurious. ECN and TLP reductions
      // (tcp_enter_cwr, tcp_process_tlp_ack) cannot be undone.
      this.saveForUndo();
    } else {
      this.priorSsthresh = 0;
    }
    this.ssthresh = this.reductionSsthresh(bytesInFlight, mss, now);
    this.caBytes = 0;
  }

  setCwnd(bytes: number): void {
    this.cwnd = Math.max(this.mss, Math.floor(bytes));
  }

  onRecoveryEnd(now: number): void {
    // Linux tcp_end_cwnd_reduction(): cwnd = ssthresh.
    if (Number.isFinite(this.ssthresh)) this.cwnd = this.ssthresh;
    this.caBytes = 0;
  }

  onRto(now: number, bytesInFlight: number, mss: number, repeated = false): void {
    this.mss = mss;
    if (!repeated) {
      this.saveForUndo();
      this.ssthresh = this.reductionSsthresh(bytesInFlight, mss, now);
      this.onLoss(now); // Linux CA_EVENT_LOSS
    }
    // RFC 5681 §3.1: LW = 1 full-sized segment (Linux: packets in flight + 1,
    // with everything outstanding just marked lost).
    this.cwnd = mss;
    this.caBytes = 0;
  }

  onIdleRestart(now: number, idleUs: number, rtoUs: number, mss: number): void {
    this.mss = mss;
    // Linux tcp_cwnd_restart(): RW = min(IW, cwnd) (RFC 5681 §4.1), halving
    // cwnd for each RTO of idleness on the way down (RFC 2861's decay).
    this.ssthresh = this.currentSsthresh();
    const restart = Math.min(initialWindow(mss, this.options), this.cwnd);
    let cwnd = this.cwnd;
    let delta = idleUs;
    while ((delta -= rtoUs) > 0 && cwnd > restart) cwnd = Math.floor(cwnd / 2);
    this.cwnd = Math.max(cwnd, restart);
    this.caBytes = 0;
  }

  onSendAfterIdle(now: number, idleUs: number): void {}

  undo(): boolean {
    if (this.priorSsthresh === 0) return false;
    // Linux tcp_undo_cwnd_reduction() with tcp_reno_undo_cwnd().
    this.cwnd = Math.max(this.cwnd, this.priorCwnd);
    if (this.priorSsthresh > this.ssthresh) this.ssthresh = this.priorSsthresh;
    this.priorSsthresh = 0;
    this.restoreForUndo();
    return true;
  }

  /** ssthresh after a congestion event or RTO (RFC 5681 eq. 4, RFC 9438 §4.6). */
  protected abstract reductionSsthresh(bytesInFlight: number, mss: number, now: number): number;
  /** Algorithm state reset at init. */
  protected abstract reset(now: number): void;
  /** Algorithm state reset on RTO. */
  protected onLoss(now: number): void {}
  /** Saves algorithm state that undo restores. */
  protected saveAlgorithmState(): void {}
  /** Restores what {@link saveAlgorithmState} saved. */
  protected restoreForUndo(): void {}

  /**
   * Linux tcp_current_ssthresh() outside a reduction: max(ssthresh, 3/4 cwnd),
   * what an undo may restore.
   */
  protected currentSsthresh(): number {
    return Math.max(this.ssthresh, Math.floor(this.cwnd / 2) + Math.floor(this.cwnd / 4));
  }

  /**
   * Slow start (RFC 5681 §3.1 with RFC 3465 byte counting): cwnd grows by
   * the bytes acknowledged, at most `ssLimit` segments per ACK, and not past
   * ssthresh (Linux `tcp_slow_start()`). Returns the acknowledged bytes left
   * over for congestion avoidance once cwnd reaches ssthresh.
   */
  protected slowStart(acked: number, mss: number): number {
    const inc = Math.min(acked, this.ssLimit * mss);
    const next = Math.min(this.cwnd + inc, this.ssthresh);
    const used = Math.max(0, next - this.cwnd);
    this.cwnd = Math.max(this.cwnd, next);
    return next >= this.ssthresh ? inc - used : 0;
  }

  /**
   * Additive increase by byte counting (RFC 5681 §3.1, RFC 3465): one MSS
   * per `wBytes` acknowledged (Linux `tcp_cong_avoid_ai()` with w in bytes).
   * Reno uses w = cwnd; CUBIC passes its per-increment count.
   */
  protected additiveIncrease(wBytes: number, acked: number, mss: number): void {
    const w = Math.max(1, wBytes);
    // Credit earned under a larger w is applied gently, one segment.
    if (this.caBytes >= w) {
      this.caBytes = 0;
      this.cwnd += mss;
    }
    this.caBytes += acked;
    if (this.caBytes >= w) {
      const n = Math.floor(this.caBytes / w);
      this.caBytes -= n * w;
      this.cwnd += n * mss;
    }
  }

  private saveForUndo(): void {
    this.priorSsthresh = this.currentSsthresh();
    this.priorCwnd = this.cwnd;
    this.saveAlgorithmState();
  }
}
