import { type Seq, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from '../core/seq.js';

/**
 * One transmitted, not yet acknowledged segment (Linux keeps the same in its
 * rtx queue): what a retransmission resends, what an RTT sample times
 * (Karn's rule, RFC 6298 §3), and the per-segment SACK and loss marks the
 * RFC 6675 scoreboard and RACK (RFC 8985 §6.1) need.
 */
export class SentSegment {
  start = 0 as Seq;
  /** End in sequence space, including a SYN or FIN. */
  end = 0 as Seq;
  /** Last transmission time, µs. */
  sentAt = 0;
  /** How often it was retransmitted. */
  retrans = 0;
  sacked = false;
  /** Marked lost and waiting for retransmission. */
  lost = false;
  /** Carries SYN / FIN (header flags of the original transmission). */
  syn = false;
  fin = false;
  /**
   * Last segment of a burst that carried the end of a write: Linux keeps
   * PSH in the skb's flags and a retransmission repeats it. Splitting leaves
   * it on the tail part only (tcp_fragment).
   */
  psh = false;
  /** Last segment of its original burst (the end of a Linux skb in the rtx queue). */
  skbEnd = false;
  /** Delivered-count at send time, for rate sampling (RACK "xmit order"). */
  order = 0;

  get length(): number {
    return seqDiff(this.end, this.start);
  }
}

/**
 * The retransmission queue: {@link SentSegment}s in sequence order from
 * SND.UNA to SND.NXT. Records are pooled while data flows (the pool is
 * dropped whenever the queue drains, so an idle connection keeps none), and
 * byte totals for the SACK
 * scoreboard (sacked, lost) are kept incrementally so that "pipe" (RFC 6675
 * §4) is O(1).
 */
export class RtxQueue {
  private segs: SentSegment[] = [];
  private head = 0;
  private pool: SentSegment[] = [];
  /** Bytes SACKed by the peer (RFC 6675 scoreboard). */
  sackedBytes = 0;
  /** Bytes marked lost and not yet retransmitted. */
  lostBytes = 0;
  /** Segments retransmitted and still outstanding (neither acked nor SACKed). */
  retransOutstanding = 0;
  /** Original bursts (Linux skbs) still held, partly acknowledged ones included. */
  skbCount = 0;
  private orderCounter = 0;

  get count(): number {
    return this.segs.length - this.head;
  }

  get empty(): boolean {
    return this.head === this.segs.length;
  }

  at(i: number): SentSegment {
    return this.segs[this.head + i]!;
  }

  first(): SentSegment | undefined {
    return this.segs[this.head];
  }

  last(): SentSegment | undefined {
    return this.segs.length > this.head ? this.segs[this.segs.length - 1] : undefined;
  }

  /** Records a first transmission of [start, end). */
  push(start: Seq, end: Seq, now: number, syn: boolean, fin: boolean, psh = false, skbEnd = true): SentSegment {
    const s = this.pool.pop() ?? new SentSegment();
    s.start = start;
    s.end = end;
    s.sentAt = now;
    s.retrans = 0;
    s.sacked = false;
    s.lost = false;
    s.syn = syn;
    s.fin = fin;
    s.psh = psh;
    s.skbEnd = skbEnd;
    if (skbEnd) this.skbCount++;
    s.order = ++this.orderCounter;
    this.segs.push(s);
    return s;
  }

  /** Marks a retransmission of `s`. */
  retransmitted(s: SentSegment, now: number): void {
    if (s.lost) {
      s.lost = false;
      this.lostBytes -= s.length;
    }
    if (s.retrans === 0 && !s.sacked) this.retransOutstanding++;
    s.retrans++;
    s.sentAt = now;
    s.order = ++this.orderCounter;
  }

  /**
   * Removes what `ack` acknowledges, trimming a partly acknowledged head
   * segment. Calls `each` (if given) for every segment fully acknowledged,
   * before it is recycled; the per-ACK path visits them with {@link at}
   * first instead, so no closure is made per ACK. Returns the number of
   * segments removed.
   */
  ackTo(ack: Seq, each?: (s: SentSegment) => void): number {
    let n = 0;
    while (this.head < this.segs.length) {
      const s = this.segs[this.head]!;
      if (seqLe(s.end, ack)) {
        if (each !== undefined) each(s);
        if (s.retrans > 0 && !s.sacked) this.retransOutstanding--;
        if (s.skbEnd) this.skbCount--;
        this.forget(s, s.length);
        this.segs[this.head] = undefined as unknown as SentSegment;
        this.head++;
        this.pool.push(s);
        n++;
      } else {
        if (seqGt(ack, s.start)) {
          const cut = seqDiff(ack, s.start);
          // Partial ACK of a segment: only its accounting shrinks.
          if (s.sacked) this.sackedBytes -= cut;
          if (s.lost) this.lostBytes -= cut;
          s.start = ack;
          s.syn = false;
        }
        break;
      }
    }
    if (this.head === this.segs.length) {
      this.segs.length = 0;
      this.head = 0;
      // Everything is acknowledged: an idle connection holds no records.
      if (this.pool.length > 0) this.pool = [];
      this.sackedBytes = 0;
      this.lostBytes = 0;
      this.retransOutstanding = 0;
      this.skbCount = 0;
    } else if (this.head > 256 && this.head * 2 > this.segs.length) {
      this.segs = this.segs.slice(this.head);
      this.head = 0;
    }
    return n;
  }

  /**
   * Marks segments fully inside [start, end) as SACKed (RFC 6675 §5
   * "Update()"); returns newly SACKed bytes. `onSacked` sees each newly
   * SACKed segment (RACK uses its send time).
   */
  markSacked(start: Seq, end: Seq, onSacked: (s: SentSegment) => void): number {
    let added = 0;
    const from = this.findIndex(start);
    for (let i = from; i < this.segs.length; i++) {
      const s = this.segs[i]!;
      if (seqGe(s.start, end)) break;
      if (s.sacked || seqLt(s.start, start) || seqGt(s.end, end)) continue;
      this.forget(s, s.length);
      if (s.retrans > 0) this.retransOutstanding--;
      s.lost = false;
      s.sacked = true;
      this.sackedBytes += s.length;
      added += s.length;
      onSacked(s);
    }
    return added;
  }

  /** Marks `s` lost (it will be retransmitted). */
  markLost(s: SentSegment): void {
    if (s.lost || s.sacked) return;
    s.lost = true;
    this.lostBytes += s.length;
  }

  /** RTO: every segment not SACKed is considered lost (RFC 6675 §5.1, RFC 5681 §3.1). */
  markAllLost(): void {
    for (let i = this.head; i < this.segs.length; i++) this.markLost(this.segs[i]!);
  }

  /** Clears all SACK marks (the peer reneged, RFC 2018 §8; or on RTO as Linux does). */
  clearSacks(): void {
    for (let i = this.head; i < this.segs.length; i++) this.segs[i]!.sacked = false;
    this.sackedBytes = 0;
  }

  /** Index (for {@link at}) of the first segment marked lost, or -1. */
  firstLostIndex(): number {
    if (this.lostBytes <= 0) return -1;
    for (let i = this.head; i < this.segs.length; i++) if (this.segs[i]!.lost) return i - this.head;
    return -1;
  }

  /** First segment marked lost, or undefined. */
  firstLost(): SentSegment | undefined {
    if (this.lostBytes <= 0) return undefined;
    for (let i = this.head; i < this.segs.length; i++) if (this.segs[i]!.lost) return this.segs[i];
    return undefined;
  }

  /** Splits `s` so that it is at most `size` long (after an MSS decrease); returns the first part. */
  split(s: SentSegment, size: number): void {
    const idx = this.segs.indexOf(s, this.head);
    if (idx < 0 || s.length <= size) return;
    const rest = this.pool.pop() ?? new SentSegment();
    rest.start = seqAdd(s.start, size);
    rest.end = s.end;
    rest.sentAt = s.sentAt;
    rest.retrans = s.retrans;
    rest.sacked = s.sacked;
    rest.lost = s.lost;
    rest.syn = false;
    rest.fin = s.fin;
    // Linux tcp_fragment: "PSH and FIN should only be set in the second packet".
    rest.psh = s.psh;
    rest.skbEnd = s.skbEnd;
    rest.order = s.order;
    if (rest.retrans > 0 && !rest.sacked) this.retransOutstanding++;
    s.end = rest.start;
    s.fin = false;
    s.psh = false;
    s.skbEnd = false;
    this.segs.splice(idx + 1, 0, rest);
  }

  /** Drops everything. */
  clear(): void {
    this.pool = [];
    this.segs = [];
    this.head = 0;
    this.sackedBytes = 0;
    this.lostBytes = 0;
    this.retransOutstanding = 0;
    this.skbCount = 0;
  }

  /** Iterates segments in order (for scoreboard scans). */
  forEach(fn: (s: SentSegment) => boolean | void): void {
    for (let i = this.head; i < this.segs.length; i++) if (fn(this.segs[i]!) === false) return;
  }

  private forget(s: SentSegment, len: number): void {
    if (s.sacked) this.sackedBytes -= len;
    if (s.lost) this.lostBytes -= len;
  }

  /** Index of the first segment whose end is after `x` (binary search). */
  private findIndex(x: Seq): number {
    let lo = this.head;
    let hi = this.segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqLe(this.segs[mid]!.end, x)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
