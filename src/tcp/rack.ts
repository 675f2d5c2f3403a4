import { seqGe, seqGt, seqLt, type Seq } from '../core/seq.js';

/**
 * RACK-TLP loss detection (RFC 8985), with Linux's choices where the RFC
 * leaves them (net/ipv4/tcp_recovery.c, tcp_output.c). Per-segment state
 * (transmit time, SACKed/lost/retransmitted flags) stays in the connection's
 * retransmission queue; this module keeps RACK's per-connection state and
 * walks the queue through a visitor, so nothing is copied.
 */

/** Visitor verdicts for {@link RackSegmentSource}. */
export const RACK_CONTINUE = 0;
/** Mark this segment lost (RFC 8985 §6.2 step 5), then continue. */
export const RACK_LOST = 1;
/** Stop: this and all later-sent segments were sent after RACK.xmit_ts. */
export const RACK_STOP = 2;
export type RackVerdict = typeof RACK_CONTINUE | typeof RACK_LOST | typeof RACK_STOP;

/** Called per outstanding segment with its last transmit time (µs) and end sequence number. */
export type RackVisitor = (xmitTs: number, endSeq: Seq) => RackVerdict;

/**
 * The connection's outstanding segments as RACK needs them: every segment
 * not cumulatively acknowledged, not SACKed, and not already marked lost
 * (a lost segment that has since been retransmitted is outstanding again),
 * in ascending order of last transmit time — Linux's `tsorted_sent_queue`.
 * On `RACK_LOST` the connection marks the segment lost; on `RACK_STOP` it
 * stops iterating.
 */
export interface RackSegmentSource {
  forEachInSendOrder(visit: RackVisitor): void;
}

/** Linux adds TCP_TIMEOUT_MIN (2 jiffies, 2 ms at HZ=1000) to the reordering timer. */
export const RACK_TIMER_SLACK_US = 2_000;
/** RFC 8985 §6.2 step 4: reordering-window growth lasts 16 recoveries (Linux TCP_RACK_RECOVERY_THRESH). */
export const RACK_REO_WND_PERSIST = 16;

/** Options for {@link Rack}. */
export interface RackOptions {
  /** Slack added to the reordering timer (default {@link RACK_TIMER_SLACK_US}, Linux). */
  timerSlackUs?: number;
}

/**
 * RACK state of one connection (RFC 8985 §6). Per ACK, the connection:
 *  1. calls {@link onDelivered} for every segment the ACK newly acknowledges
 *     or SACKs, in ascending sequence order (steps 2 and 3);
 *  2. calls {@link onAckDsack} once (step 4's D-SACK bookkeeping);
 *  3. if {@link advanced}, calls {@link detectLoss} with
 *     {@link reoWnd}(...) (step 5) and arms the reordering timer with the
 *     result when it is non-zero; when that timer fires, calls
 *     {@link detectLoss} again.
 * On leaving fast or RTO recovery it calls {@link onRecoveryExit}.
 */
export class Rack {
  /** RACK.xmit_ts: transmit time of the most recently sent segment delivered (µs); -1 if none. */
  xmitTs = -1;
  /** RACK.end_seq: its end. */
  endSeq = 0 as Seq;
  /** RACK.rtt: the RTT measured on it (µs). */
  rttUs = 0;
  /** RACK.fack: the highest end_seq delivered (forward-most acknowledged). */
  fack = 0 as Seq;
  /** RACK.reordering_seen. */
  reorderingSeen = false;
  /** RACK.reo_wnd_mult (Linux reo_wnd_steps). */
  reoWndMult = 1;
  /** RACK.reo_wnd_persist. */
  reoWndPersist = 0;
  /** RACK.dsack_round: SND.NXT when the window last grew, or null. */
  dsackRound: Seq | null = null;
  /** RACK.xmit_ts moved since the last {@link detectLoss} (Linux rack.advanced). */
  advanced = false;

  private readonly slack: number;
  private fackValid = false;
  /** Whether {@link startAck} is in use (else each delivery is judged against the live RACK.fack). */
  private perAck = false;
  /** RACK.fack as it stood when the current ACK arrived (see {@link startAck}). */
  private ackFack = 0 as Seq;
  private ackFackValid = false;
  private scanNow = 0;
  private scanWnd = 0;
  private scanTimeout = 0;
  private readonly visitor: RackVisitor;

  constructor(options: RackOptions = {}) {
    this.slack = options.timerSlackUs ?? RACK_TIMER_SLACK_US;
    this.visitor = (xmitTs, endSeq) => this.visit(xmitTs, endSeq);
  }

  /**
   * An ACK is about to be processed: remember the forward-most delivered
   * sequence as it stood before it. Reordering (step 3) means a hole below
   * that point was filled; segments this same ACK delivers above it — its
   * SACK blocks, in whatever order they are listed — are not evidence, so a
   * cumulative ACK that arrives with new SACK blocks above it does not count
   * as reordering (Linux compares with `prior_fack`, tcp_ack()).
   */
  startAck(): void {
    this.perAck = true;
    this.ackFack = this.fack;
    this.ackFackValid = this.fackValid;
  }

  /**
   * RFC 8985 §6.2 steps 2 and 3 for one newly delivered segment.
   *
   * @param xmitTs its last transmit time (µs).
   * @param endSeq its end.
   * @param retransmitted whether it was ever retransmitted.
   * @param now now (µs).
   * @param minRttUs the connection's min RTT (Infinity if none).
   * @param tsEcrBeforeXmit the ACK carries a TSecr older than `xmitTs`, i.e.
   *   it answers an earlier transmission (pass false without timestamps).
   */
  onDelivered(
    xmitTs: number,
    endSeq: Seq,
    retransmitted: boolean,
    now: number,
    minRttUs: number,
    tsEcrBeforeXmit: boolean,
  ): void {
    // Step 3: reordering — a never-retransmitted segment delivered below
    // the forward-most delivered one arrived out of order.
    const refValid = this.perAck ? this.ackFackValid : this.fackValid;
    if (!retransmitted && refValid && seqLt(endSeq, this.perAck ? this.ackFack : this.fack)) this.reorderingSeen = true;
    if (!this.fackValid || seqGt(endSeq, this.fack)) {
      this.fack = endSeq;
      this.fackValid = true;
    }

    // Step 2: a retransmitted segment may have been delivered by its
    // original transmission; its RTT is ambiguous when the TS echo predates
    // the retransmission, or when it is implausibly short (Linux
    // tcp_rack_advance()). Skip such a segment.
    const rtt = now - xmitTs;
    if (retransmitted && (tsEcrBeforeXmit || rtt < minRttUs)) return;
    this.rttUs = rtt;
    if (this.xmitTs < 0 || sentAfter(xmitTs, endSeq, this.xmitTs, this.endSeq)) {
      this.xmitTs = xmitTs;
      this.endSeq = endSeq;
    }
    this.advanced = true;
  }

  /**
   * RFC 8985 §6.2 step 4, D-SACK part: once per ACK. Grows the reordering
   * window multiplier by one per round trip that sees a D-SACK and keeps it
   * for 16 recoveries. Like Linux (`tcp_dsack_seen()`), a D-SACK counts only
   * once reordering has been seen, and not when it reports a TLP probe
   * (pass `dsack = false` then): such duplicates come from timers, not from
   * a reordering window that was too small.
   */
  onAckDsack(dsack: boolean, sndUna: Seq, sndNxt: Seq): void {
    if (this.dsackRound !== null && seqGe(sndUna, this.dsackRound)) this.dsackRound = null;
    if (this.dsackRound === null && dsack && this.reorderingSeen) {
      this.dsackRound = sndNxt;
      this.reoWndMult = Math.min(this.reoWndMult + 1, 255);
      this.reoWndPersist = RACK_REO_WND_PERSIST;
    }
  }

  /** Leaving fast or RTO recovery (RFC 8985 §6.2 step 4): the window decays back after 16. */
  onRecoveryExit(): void {
    if (this.reoWndPersist > 0 && --this.reoWndPersist === 0) this.reoWndMult = 1;
  }

  /**
   * RACK.reo_wnd (µs), RFC 8985 §6.2 step 4 as Linux `tcp_rack_reo_wnd()`:
   * 0 while no reordering has been seen and either loss recovery is under
   * way or DupThresh segments are SACKed; otherwise
   * min(reo_wnd_mult · min_RTT / 4, SRTT).
   */
  reoWnd(srttUs: number, minRttUs: number, inRecovery: boolean, sackedSegments: number, dupThresh: number): number {
    if (!this.reorderingSeen && (inRecovery || sackedSegments >= dupThresh)) return 0;
    const m = Number.isFinite(minRttUs) ? minRttUs : 0;
    return Math.min(this.reoWndMult * Math.floor(m / 4), srttUs);
  }

  /**
   * RFC 8985 §6.2 step 5 (RACK_detect_loss): walks the outstanding segments
   * sent before RACK.xmit_ts; those sent more than RACK.rtt + reoWnd ago are
   * lost (the visitor answers RACK_LOST). Returns the delay after which the
   * reordering timer should fire (§6.3: the longest remaining wait, plus
   * Linux's slack), or 0 if no segment is waiting.
   */
  detectLoss(now: number, reoWndUs: number, source: RackSegmentSource): number {
    this.advanced = false;
    if (this.xmitTs < 0) return 0;
    this.scanNow = now;
    this.scanWnd = reoWndUs;
    this.scanTimeout = 0;
    source.forEachInSendOrder(this.visitor);
    return this.scanTimeout > 0 ? this.scanTimeout + this.slack : 0;
  }

  private visit(xmitTs: number, endSeq: Seq): RackVerdict {
    if (!sentAfter(this.xmitTs, this.endSeq, xmitTs, endSeq)) return RACK_STOP;
    const remaining = xmitTs + this.rttUs + this.scanWnd - this.scanNow;
    if (remaining <= 0) return RACK_LOST;
    if (remaining > this.scanTimeout) this.scanTimeout = remaining;
    return RACK_CONTINUE;
  }
}

/** RFC 8985 §6.2 RACK_sent_after(t1, seq1, t2, seq2): sent later, ties broken by sequence. */
export function sentAfter(t1: number, seq1: Seq, t2: number, seq2: Seq): boolean {
  return t1 > t2 || (t1 === t2 && seqGt(seq1, seq2));
}

/** RFC 8985 §7.2 TLP.max_ack_delay / WCDelAckT: 200 ms (Linux uses TCP_RTO_MIN). */
export const TLP_MAX_ACK_DELAY_US = 200_000;
/** Linux adds TCP_TIMEOUT_MIN (2 ms) to the PTO when more than one segment is in flight. */
export const TLP_SLACK_US = 2_000;
/** RFC 8985 §7.2: PTO when there is no RTT sample (Linux TCP_TIMEOUT_INIT). */
export const TLP_PTO_NO_SAMPLE_US = 1_000_000;

/** How an ACK ended (or not) a TLP episode (RFC 8985 §7.4.2). */
export type TlpAckOutcome =
  /** No episode, or the ACK is below TLP.end_seq. */
  | 'pending'
  /** The probe was new data and is acknowledged: nothing to do (normal loss detection covers it). */
  | 'new-data-acked'
  /** Both the original and the probe arrived (D-SACK or a pure duplicate ACK): no loss. */
  | 'no-loss'
  /** The probe repaired a loss: reduce cwnd (onCongestionEvent('loss-probe') + onRecoveryEnd()). */
  | 'loss-repaired';

/**
 * Tail Loss Probe (RFC 8985 §7). The connection schedules the PTO timer
 * with {@link pto} when {@link canSchedule} allows, and when it fires and
 * {@link canSend} allows, sends the probe chosen by {@link chooseProbe} and
 * reports it with {@link onProbeSent}; each ACK goes through {@link onAck}.
 */
export class Tlp {
  /** TLP.end_seq: SND.NXT when the probe went out, or null outside an episode. */
  endSeq: Seq | null = null;
  /** TLP.is_retrans: the probe was a retransmission. */
  isRetrans = false;
  /** Whether an RTT sample arrived since the last probe (RFC 8985 §7.3 condition 2). */
  rttSampledSinceProbe = true;

  constructor(readonly maxAckDelayUs: number = TLP_MAX_ACK_DELAY_US) {}

  /**
   * RFC 8985 §7.1/§7.2 conditions for arming the PTO: data outstanding,
   * SACK negotiated, not in fast or RTO recovery (Linux also probes in
   * CWR), and no probe of a previous episode still outstanding.
   */
  canSchedule(hasOutstanding: boolean, sackEnabled: boolean, inRecovery: boolean): boolean {
    return hasOutstanding && sackEnabled && !inRecovery && this.endSeq === null;
  }

  /**
   * The PTO (µs), RFC 8985 §7.2 with Linux's constants
   * (`tcp_schedule_loss_probe()`): 2·SRTT, plus the worst-case delayed-ACK
   * time when only one segment is in flight (its ACK may be delayed), else
   * plus Linux's 2 ms slack; 1 s without an RTT sample; and never later than
   * the pending RTO (`rtoRemainingUs`, ignored when <= 0).
   */
  pto(srttUs: number, hasRttSample: boolean, segmentsInFlight: number, rtoRemainingUs: number): number {
    let pto: number;
    if (hasRttSample) {
      pto = 2 * srttUs + (segmentsInFlight <= 1 ? this.maxAckDelayUs : TLP_SLACK_US);
    } else {
      pto = TLP_PTO_NO_SAMPLE_US;
    }
    if (rtoRemainingUs > 0 && rtoRemainingUs < pto) pto = rtoRemainingUs;
    return pto;
  }

  /**
   * RFC 8985 §7.3: when the PTO fires, probe only if no probe is still in
   * flight and an RTT sample has arrived since the last probe; otherwise
   * just re-arm the RTO.
   */
  canSend(): boolean {
    return this.endSeq === null && this.rttSampledSinceProbe;
  }

  /**
   * RFC 8985 §7.3: send one MSS of new data if there is some and the
   * receive window allows it, otherwise retransmit the highest-sequence
   * outstanding segment (the last one sent, as Linux does).
   */
  static chooseProbe(newDataAllowed: boolean): 'new-data' | 'retransmit-last' {
    return newDataAllowed ? 'new-data' : 'retransmit-last';
  }

  /** The probe went out; `sndNxt` is SND.NXT after sending it. */
  onProbeSent(sndNxt: Seq, isRetrans: boolean): void {
    this.endSeq = sndNxt;
    this.isRetrans = isRetrans;
    this.rttSampledSinceProbe = false;
  }

  /** An RTT sample was taken (§7.3 condition 2). */
  onRttSample(): void {
    this.rttSampledSinceProbe = true;
  }

  /** Fast recovery or an RTO started: the episode is over (RFC 8985 §7.1; Linux tcp_init_cwnd_reduction()). */
  reset(): void {
    this.endSeq = null;
    this.isRetrans = false;
  }

  /**
   * RFC 8985 §7.4.2 (Linux `tcp_process_tlp_ack()`), for every ACK.
   *
   * @param ack the ACK's cumulative acknowledgment.
   * @param dsackEnd the end of the ACK's D-SACK block, or null if none.
   * @param pureDupAck the ACK neither advances SND.UNA nor carries data,
   *   a window update or new SACK information.
   */
  onAck(ack: Seq, dsackEnd: Seq | null, pureDupAck: boolean): TlpAckOutcome {
    const end = this.endSeq;
    if (end === null || seqLt(ack, end)) return 'pending';
    if (!this.isRetrans) {
      this.endSeq = null;
      return 'new-data-acked';
    }
    if (dsackEnd !== null && dsackEnd === end) {
      // The D-SACK covers the probe: the original got through as well.
      this.endSeq = null;
      return 'no-loss';
    }
    if (seqGt(ack, end)) {
      this.endSeq = null;
      return 'loss-repaired';
    }
    if (pureDupAck) {
      this.endSeq = null;
      return 'no-loss';
    }
    return 'pending';
  }
}
