/**
 * Proportional Rate Reduction (RFC 6937), as Linux applies it in
 * `tcp_cwnd_reduction()` during fast recovery, ECN CWR and TLP-detected loss:
 * instead of halving cwnd at once (and then sending nothing for half an RTT,
 * RFC 5681) or inflating it (RFC 6582), PRR spreads the reduction over the
 * recovery round so that ssthresh bytes are in flight when it ends.
 *
 * Per ACK during recovery, with DeliveredData the bytes newly acknowledged
 * cumulatively or by SACK, and pipe the RFC 6675 estimate after the ACK:
 *
 *     prr_delivered += DeliveredData
 *     if pipe > ssthresh:                  // proportional part
 *         sndcnt = ceil(prr_delivered · ssthresh / RecoverFS) − prr_out
 *     else:                                // slow start back up to ssthresh
 *         sndcnt = max(prr_delivered − prr_out, DeliveredData)
 *         if safeAck: sndcnt += 1 segment  // PRR-SSRB bound
 *         sndcnt = min(ssthresh − pipe, sndcnt)
 *     if prr_out == 0: sndcnt = max(sndcnt, 1 segment)  // the fast retransmit itself
 *     cwnd = pipe + sndcnt
 *
 * The SSRB "+1 segment" applies only on an ACK that advances SND.UNA and
 * reports no new loss (Linux since 5.x, and draft-ietf-tcpm-prr-rfc6937bis's
 * SafeACK); pass `safeAck = true` always for RFC 6937's original SSRB, or
 * never for its conservative CRB bound.
 *
 * Units: Linux counts packets; RFC 6937 writes bytes. Either works: pass
 * `segment = 1` with every quantity in segments, or `segment = MSS` with
 * bytes. The proportional target is rounded up to whole segments in both
 * cases, as Linux's packet arithmetic does — in bytes, RFC 6937's ceiling
 * could leave a quota smaller than a segment, which a sender of full-sized
 * segments cannot use. With full-sized segments both forms give the same
 * sends, and reproduce the packetdrill prr-*.pkt scripts.
 *
 * RecoverFS: RFC 6937 uses the flight size at the start of recovery; Linux
 * uses cwnd before the reduction (`prior_cwnd`). The caller picks.
 */
export class Prr {
  /** prr_delivered: data delivered to the receiver since recovery began. */
  delivered = 0;
  /** prr_out: data sent since recovery began. */
  out = 0;
  /** RecoverFS. */
  recoverFs = 1;
  /** The target ssthresh. */
  ssthresh = 0;
  /** One segment in the chosen unit (1 for packets, MSS for bytes). */
  segment = 1;

  /** Recovery begins (RFC 6937 §3 initialisation). */
  start(ssthresh: number, recoverFs: number, segment: number): void {
    this.ssthresh = ssthresh;
    this.recoverFs = Math.max(1, recoverFs);
    this.segment = segment;
    this.delivered = 0;
    this.out = 0;
  }

  /**
   * Processes an ACK received during recovery and returns sndcnt, how much
   * may be sent in response to it (>= 0). When `deliveredData` is 0 nothing
   * changes and -1 is returned: leave cwnd as it is (Linux returns early).
   *
   * @param deliveredData newly acknowledged data (cumulative + SACK).
   * @param pipe data in flight after processing the ACK (RFC 6675 pipe).
   * @param safeAck the ACK advanced SND.UNA and revealed no new loss.
   */
  onAck(deliveredData: number, pipe: number, safeAck: boolean): number {
    if (deliveredData <= 0) return -1;
    this.delivered += deliveredData;
    let sndcnt: number;
    const room = this.ssthresh - pipe;
    if (room < 0) {
      // RFC 6937 §3: proportional rate reduction while pipe > ssthresh.
      const target = Math.ceil((this.delivered * this.ssthresh) / this.recoverFs / this.segment) * this.segment;
      sndcnt = target - this.out;
    } else {
      // Reduction bound: grow back towards ssthresh no faster than slow start.
      sndcnt = Math.max(this.delivered - this.out, deliveredData);
      if (safeAck) sndcnt += this.segment;
      sndcnt = Math.min(room, sndcnt);
    }
    // The first ACK of recovery must allow the fast retransmit.
    return Math.max(sndcnt, this.out > 0 ? 0 : this.segment);
  }

  /** Records data sent (new or retransmitted) during recovery: prr_out += amount. */
  onSent(amount: number): void {
    this.out += amount;
  }

  /** The cwnd Linux sets after an ACK: pipe + sndcnt. */
  static cwnd(pipe: number, sndcnt: number): number {
    return pipe + sndcnt;
  }
}
