import { type Seq, seqDiff } from '../core/seq.js';
import type { TcpConnection } from './connection.js';
import { RACK_LOST, RACK_STOP, Rack, type RackSegmentSource, type RackVisitor, Tlp } from './rack.js';
import type { SentSegment } from './rtx-queue.js';

/**
 * Glue between a connection and the RACK-TLP modules (RFC 8985): feeding
 * delivered segments to RACK, walking the retransmission queue for loss
 * detection, and choosing the timer (PTO or RTO). RACK and TLP run only on
 * SACK connections, as in Linux.
 */

/** The connection's RACK state, created on first use; null when RACK is off or SACK was not negotiated. */
export function rackOf(c: TcpConnection): Rack | null {
  if (!c.sackOk || !c.host.config.rack) return null;
  return (c.rack ??= new Rack());
}

/** The connection's TLP state; null when TLP is off or SACK was not negotiated. */
export function tlpOf(c: TcpConnection): Tlp | null {
  if (!c.sackOk || !c.host.config.tlp) return null;
  return (c.tlp ??= new Tlp());
}

/** RFC 8985 §6.2 steps 2–3 for one newly delivered (acked or SACKed) segment. */
export function rackDelivered(c: TcpConnection, s: SentSegment, now: number, tsEcr: number): void {
  const r = c.rack;
  if (r === null) return;
  let ecrBefore = false;
  if (tsEcr >= 0 && s.retrans > 0) {
    // The echoed TSval predates this transmission: the ACK answers an earlier copy.
    const xmitTicks = (Math.floor(s.sentAt / c.host.config.tsTickUs) + c.tsOffset) >>> 0;
    ecrBefore = ((tsEcr - xmitTicks) | 0) < 0;
  }
  r.onDelivered(s.sentAt, s.end, s.retrans > 0, now, c.rtt.minRttUs, ecrBefore);
}

/** Walks outstanding (not SACKed, not lost) segments for RACK. */
export class QueueWalker implements RackSegmentSource {
  c: TcpConnection | null = null;
  marked = 0;
  forEachInSendOrder(visit: RackVisitor): void {
    const c = this.c!;
    // The queue is in sequence order. Without retransmissions outstanding this
    // is also send order, so STOP ends the walk; otherwise every segment is checked.
    const ordered = c.rtx.retransOutstanding === 0;
    const n = c.rtx.count;
    for (let i = 0; i < n; i++) {
      const s = c.rtx.at(i);
      if (s.sacked || s.lost) continue;
      const v = visit(s.sentAt, s.end);
      if (v === RACK_LOST) {
        c.rtx.markLost(s);
        this.marked++;
      } else if (v === RACK_STOP && ordered) {
        return;
      }
    }
  }
}

/**
 * RFC 8985 §6.2 step 5 after an ACK (or when the reordering timer fires):
 * marks lost segments and returns how many, arming the reordering timer if
 * some segment must still wait.
 */
export function rackDetectLoss(c: TcpConnection, now: number, fromTimer: boolean): number {
  const r = c.rack;
  if (r === null || (!r.advanced && !fromTimer)) return 0;
  if (c.rtx.sackedBytes === 0 && c.rtx.retransOutstanding === 0) {
    // Cumulative ACKs only, nothing retransmitted: nothing sent before a delivered segment is outstanding.
    r.advanced = false;
    return 0;
  }
  const sackedSegs = Math.ceil(c.rtx.sackedBytes / Math.max(1, c.mss));
  const reo = r.reoWnd(c.rtt.srttUs, c.rtt.minRttUs, c.inRecovery || c.inLoss, sackedSegs, c.host.config.reordering);
  const w = (c.rackWalker ??= new QueueWalker()) as QueueWalker;
  w.c = c;
  w.marked = 0;
  const timeout = r.detectLoss(now, reo, w);
  c.rackTimeoutUs = timeout;
  return w.marked;
}

/** Bytes outstanding between SND.UNA and SND.NXT in whole segments (for the PTO's one-segment rule). */
export function segmentsInFlight(c: TcpConnection): number {
  return Math.ceil(Math.max(0, seqDiff(c.sndNxt, c.sndUna)) / Math.max(1, c.mss));
}

export type { Seq };
