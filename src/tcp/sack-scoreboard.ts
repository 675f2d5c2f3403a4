import { seqAdd, seqGe, seqGt, seqLe, seqLt, type Seq } from '../core/seq.js';

/** What one ACK did to the scoreboard. {@link SackScoreboard.onAck} refills one object. */
export interface SackAckResult {
  /** Bytes newly acknowledged cumulatively (the advance of SND.UNA). */
  ackedBytes: number;
  /** Bytes newly SACKed (above the new SND.UNA, not SACKed before). */
  newlySacked: number;
  /** SACKed bytes that the cumulative ACK has now covered (they were already delivered). */
  sackedAcked: number;
  /** RFC 6937 DeliveredData: ackedBytes + newlySacked − sackedAcked. */
  delivered: number;
  /** The first SACK block is a D-SACK (RFC 2883 §4; Linux `tcp_check_dsack()`). */
  dsack: boolean;
  /** The D-SACK block, when `dsack`. */
  dsackStart: Seq;
  dsackEnd: Seq;
  /** Non-D-SACK blocks refused as invalid (outside (SND.UNA, SND.NXT], empty or reversed), or past the range cap. */
  invalidBlocks: number;
}

/** What {@link SackScoreboard.nextSeg} chose (RFC 6675 §4 NextSeg()). */
export interface NextSegment {
  /** 'rexmit': rule (1) or (3) retransmission; 'new': rule (2) new data from SND.NXT; 'rescue': rule (4). */
  kind: 'rexmit' | 'new' | 'rescue' | 'none';
  start: Seq;
  /** Bytes (at most one MSS; for 'new' the caller trims to the data and window it has). */
  length: number;
}

/** Options for {@link SackScoreboard}. */
export interface SackScoreboardOptions {
  /** RFC 6675 DupThresh (default 3; Linux raises `tp->reordering` when it sees reordering). */
  dupThresh?: number;
  /**
   * NextSeg rule (3): retransmit unSACKed data not yet deemed lost. RFC 6675
   * says SHOULD; Linux retransmits only data marked lost, so default false.
   */
  rule3?: boolean;
  /**
   * NextSeg rule (4): one "rescue" retransmission of the highest unSACKed
   * data per recovery. RFC 6675 says SHOULD; Linux relies on TLP instead
   * (RFC 8985), so default false.
   */
  rescue?: boolean;
  /**
   * Most SACKed ranges kept (default 16384). A peer can SACK arbitrary byte
   * ranges; blocks that would create more ranges are ignored and counted in
   * `invalidBlocks`.
   */
  maxRanges?: number;
}

/**
 * The RFC 6675 scoreboard of one connection: which bytes in
 * [SND.UNA, SND.NXT) the receiver has SACKed, kept as a sorted array of
 * disjoint, non-adjacent ranges, with HighACK (= SND.UNA), HighData
 * (= SND.NXT), HighRxt, RescueRxt and RecoveryPoint. It answers IsLost(),
 * pipe (SetPipe()) and NextSeg() of RFC 6675 §4, and validates SACK blocks
 * and detects D-SACKs as Linux does.
 *
 * Ends are exclusive throughout: HighData is SND.NXT (the RFC's "highest
 * sequence number transmitted" plus one) and {@link highRxt} is one past the
 * last retransmitted byte.
 *
 * IsLost() is per hole: every byte of the gap below SACKed range i has the
 * same SACKed data above it (ranges i..n−1), so a hole is lost when
 * n − i ≥ DupThresh discontiguous ranges, or more than (DupThresh − 1)·SMSS
 * SACKed bytes, lie above it (RFC 6675 §4). That is monotone in i, so the
 * lost holes are a prefix found by looking at the top DupThresh ranges only.
 * Loss marks from elsewhere (an RTO, RACK) extend it with
 * {@link markLostBelow}.
 */
export class SackScoreboard {
  /** RFC 6675 DupThresh (may be raised for reordering, as Linux does). */
  dupThresh: number;
  private readonly rule3: boolean;
  private readonly rescueEnabled: boolean;
  private readonly maxRanges: number;

  private una: Seq;
  private nxt: Seq;
  private starts = new Uint32Array(16);
  private ends = new Uint32Array(16);
  private n = 0;
  private sacked = 0;
  private hrxt: Seq;
  /** SACKed bytes below HighRxt, kept incrementally so pipe is O(DupThresh). */
  private sackedBelowRxt = 0;
  private rescueRxtSeq: Seq;
  private rescueUsed = false;
  private recoveryPt: Seq;
  private lostMark: Seq;
  private readonly result: SackAckResult;

  constructor(sndUna: Seq, options: SackScoreboardOptions = {}) {
    this.dupThresh = options.dupThresh ?? 3;
    this.rule3 = options.rule3 ?? false;
    this.rescueEnabled = options.rescue ?? false;
    this.maxRanges = options.maxRanges ?? 16384;
    this.una = this.nxt = this.hrxt = this.rescueRxtSeq = this.recoveryPt = this.lostMark = sndUna;
    this.result = {
      ackedBytes: 0,
      newlySacked: 0,
      sackedAcked: 0,
      delivered: 0,
      dsack: false,
      dsackStart: sndUna,
      dsackEnd: sndUna,
      invalidBlocks: 0,
    };
  }

  /** HighACK = SND.UNA. */
  get sndUna(): Seq {
    return this.una;
  }
  /** HighData = SND.NXT. */
  get sndNxt(): Seq {
    return this.nxt;
  }
  /** One past the highest byte retransmitted in this recovery (RFC 6675 HighRxt); SND.UNA if none. */
  get highRxt(): Seq {
    return this.hrxt;
  }
  /** RFC 6675 RescueRxt, or null if no rescue retransmission was sent in this recovery. */
  get rescueRxt(): Seq | null {
    return this.rescueUsed ? this.rescueRxtSeq : null;
  }
  /** RFC 6675 RecoveryPoint (HighData when recovery began). */
  get recoveryPoint(): Seq {
    return this.recoveryPt;
  }
  /** Total SACKed bytes above SND.UNA. */
  get sackedBytes(): number {
    return this.sacked;
  }
  /** Number of SACKed ranges. */
  get rangeCount(): number {
    return this.n;
  }
  /** Start of SACKed range i (0 = lowest). */
  rangeStart(i: number): Seq {
    return this.starts[i]! as Seq;
  }
  /** End (exclusive) of SACKed range i. */
  rangeEnd(i: number): Seq {
    return this.ends[i]! as Seq;
  }
  /** One past the highest SACKed byte, or SND.UNA if nothing is SACKed. */
  get highSacked(): Seq {
    return this.n > 0 ? (this.ends[this.n - 1]! as Seq) : this.una;
  }

  /** Forgets everything: the connection restarts at `sndUna` with nothing outstanding. */
  reset(sndUna: Seq): void {
    this.una = this.nxt = this.hrxt = this.rescueRxtSeq = this.recoveryPt = this.lostMark = sndUna;
    this.n = 0;
    this.sacked = 0;
    this.sackedBelowRxt = 0;
    this.rescueUsed = false;
  }

  /** New data went out: HighData moves forward to `sndNxt` (never backward). */
  onSend(sndNxt: Seq): void {
    if (seqGt(sndNxt, this.nxt)) this.nxt = sndNxt;
  }

  /**
   * Loss recovery begins (RFC 6675 §5 step 4): RecoveryPoint = HighData,
   * HighRxt = HighACK, RescueRxt undefined.
   */
  enterRecovery(): void {
    this.recoveryPt = this.nxt;
    this.hrxt = this.una;
    this.sackedBelowRxt = 0;
    this.rescueUsed = false;
  }

  /**
   * A retransmission ending at `end` (exclusive) was sent: HighRxt advances
   * (RFC 6675 §5 step (C.3)). `start` is accepted for symmetry and ignored:
   * HighRxt is a high-water mark.
   */
  onRetransmit(start: Seq, end: Seq): void {
    if (!seqGt(end, this.hrxt)) return;
    const next = seqLe(end, this.nxt) ? end : this.nxt;
    // Fold in the SACKed bytes between the old and the new HighRxt.
    this.sackedBelowRxt += this.sackedWithin(this.off(this.hrxt), this.off(next));
    this.hrxt = next;
  }

  /**
   * Declares every unSACKed byte below `seq` lost, in addition to
   * RFC 6675's IsLost(): after an RTO (RFC 6675 §5.1, pass SND.NXT) or when
   * RACK marks losses (RFC 8985). Cleared by {@link clearLostMarks}.
   */
  markLostBelow(seq: Seq): void {
    const s = seqGt(seq, this.nxt) ? this.nxt : seq;
    if (seqGt(s, this.lostMark)) this.lostMark = s;
  }

  /** Drops the marks made by {@link markLostBelow} (e.g. an RTO proved spurious). */
  clearLostMarks(): void {
    this.lostMark = this.una;
  }

  /**
   * Processes an ACK: the cumulative ACK `ack` (assumed already checked
   * against SND.UNA/SND.NXT by the connection; one outside
   * [SND.UNA, SND.NXT] is ignored) and `blockCount` SACK blocks given as
   * `blocks[2k]` = left edge, `blocks[2k+1]` = right edge (RFC 2018 §3).
   * Returns a result object owned by the scoreboard (overwritten by the
   * next call).
   */
  onAck(ack: Seq, blocks: ArrayLike<number>, blockCount: number): SackAckResult {
    const r = this.result;
    r.ackedBytes = 0;
    r.newlySacked = 0;
    r.sackedAcked = 0;
    r.dsack = false;
    r.invalidBlocks = 0;

    if (seqGt(ack, this.una) && seqLe(ack, this.nxt)) this.advance(ack, r);

    for (let k = 0; k < blockCount; k++) {
      const s = (blocks[2 * k]! >>> 0) as Seq;
      const e = (blocks[2 * k + 1]! >>> 0) as Seq;
      if (k === 0 && this.isDsack(s, e, ack, blocks, blockCount)) {
        r.dsack = true;
        r.dsackStart = s;
        r.dsackEnd = e;
        // A D-SACK above SND.UNA still says the receiver holds the data.
        if (this.validBlock(s, e)) r.newlySacked += this.insert(s, e);
        continue;
      }
      if (!this.validBlock(s, e)) {
        r.invalidBlocks++;
        continue;
      }
      const added = this.insert(s, e);
      if (added < 0) r.invalidBlocks++;
      else r.newlySacked += added;
    }
    r.delivered = r.ackedBytes + r.newlySacked - r.sackedAcked;
    return r;
  }

  /** Whether the byte at `seq` has been SACKed. */
  isSacked(seq: Seq): boolean {
    const o = this.off(seq);
    const i = this.firstEndAbove(o);
    return i < this.n && this.off(this.starts[i]!) <= o;
  }

  /**
   * RFC 6675 §4 IsLost(SeqNum): true if DupThresh discontiguous SACKed
   * ranges, or more than (DupThresh − 1)·SMSS SACKed bytes, lie above the
   * byte, or it was marked lost. False for SACKed bytes.
   */
  isLost(seq: Seq, mss: number): boolean {
    const o = this.off(seq);
    if (o >= this.off(this.nxt)) return false;
    const i = this.firstEndAbove(o);
    if (i < this.n && this.off(this.starts[i]!) <= o) return false;
    if (o < this.off(this.lostMark)) return true;
    return i < this.lostHoles(mss);
  }

  /**
   * RFC 6675 §4 SetPipe(): the bytes estimated in flight. Each unSACKed byte
   * in [HighACK, HighData) counts once if not lost, and once more if it was
   * retransmitted (below HighRxt). O(DupThresh).
   */
  pipe(mss: number): number {
    const outstanding = this.off(this.nxt);
    const unsacked = outstanding - this.sacked;
    // Everything unSACKed below `lostEnd` is lost; nothing above it is.
    const holes = this.lostHoles(mss);
    let lostEnd = holes > 0 ? this.off(this.starts[holes - 1]!) : 0;
    let sackedBelowLost = holes > 0 ? this.sacked - this.suffixBytes(holes - 1) : 0;
    const mark = this.off(this.lostMark);
    if (mark > lostEnd) {
      lostEnd = mark;
      sackedBelowLost = mark >= outstanding ? this.sacked : this.sackedWithin(0, mark);
    }
    const lost = lostEnd - sackedBelowLost;
    const rxt = this.off(this.hrxt) - this.sackedBelowRxt;
    return unsacked - lost + rxt;
  }

  /**
   * RFC 6675 §4 NextSeg(): what to send next during recovery. `canSendNew`
   * says whether unsent data is available and the receive window allows it
   * (rule 2). Fills and returns `out` (kind 'none' when nothing qualifies).
   * After sending a retransmission, call {@link onRetransmit}; after a
   * 'rescue', nothing (RescueRxt is already recorded and HighRxt MUST NOT move).
   */
  nextSeg(mss: number, canSendNew: boolean, out: NextSegment): NextSegment {
    const limit = this.off(this.highSacked);
    const hr = this.off(this.hrxt);
    const lostHoles = this.lostHoles(mss);
    const mark = this.off(this.lostMark);
    // Rule (1): the first unSACKed byte at or above HighRxt, below the highest
    // SACKed byte (or below a loss mark), that IsLost().
    const lostTop = Math.max(lostHoles > 0 ? this.off(this.starts[lostHoles - 1]!) : 0, Math.min(mark, this.off(this.nxt)));
    const s2 = this.firstUnsackedFrom(hr);
    if (s2 >= 0 && s2 < lostTop) {
      return this.fill(out, 'rexmit', s2, Math.min(mss, this.holeEnd(s2) - s2, lostTop - s2));
    }
    // Rule (2): new data.
    if (canSendNew) return this.fill(out, 'new', this.off(this.nxt), mss);
    // Rule (3): unSACKed data below the highest SACK, not yet deemed lost.
    if (this.rule3 && s2 >= 0 && s2 < limit) {
      return this.fill(out, 'rexmit', s2, Math.min(mss, this.holeEnd(s2) - s2));
    }
    // Rule (4): one rescue retransmission per recovery, of the highest unSACKed data.
    if (this.rescueEnabled && (!this.rescueUsed || seqGt(this.una, this.rescueRxtSeq))) {
      const top = this.highestUnsackedEnd();
      if (top > 0) {
        const start = Math.max(top - mss, this.holeStartBelow(top));
        this.rescueUsed = true;
        this.rescueRxtSeq = this.recoveryPt;
        return this.fill(out, 'rescue', start, top - start);
      }
    }
    return this.fill(out, 'none', this.off(this.nxt), 0);
  }

  // ---- internals (offsets are unsigned distances from SND.UNA) ----

  private off(x: number): number {
    return (x - this.una) >>> 0;
  }

  private fill(out: NextSegment, kind: NextSegment['kind'], startOff: number, length: number): NextSegment {
    out.kind = kind;
    out.start = seqAdd(this.una, startOff);
    out.length = length;
    return out;
  }

  /** Linux `tcp_is_sackblock_valid()` for an ordinary block: SND.UNA < start < end <= SND.NXT. */
  private validBlock(s: Seq, e: Seq): boolean {
    return seqGt(s, this.una) && seqLt(s, e) && seqLe(e, this.nxt);
  }

  /**
   * RFC 2883 §4 (Linux `tcp_check_dsack()`): the first block reports a
   * duplicate if it lies below the cumulative ACK, or inside the second block.
   */
  private isDsack(s: Seq, e: Seq, ack: Seq, blocks: ArrayLike<number>, count: number): boolean {
    if (seqLt(s, ack)) return true;
    if (count > 1) {
      const s1 = (blocks[2]! >>> 0) as Seq;
      const e1 = (blocks[3]! >>> 0) as Seq;
      return seqLe(e, e1) && seqGe(s, s1);
    }
    return false;
  }

  /** SND.UNA moves to `ack`: drop or trim the ranges it covers. */
  private advance(ack: Seq, r: SackAckResult): void {
    const a = this.off(ack);
    r.ackedBytes = a;
    const hr = this.off(this.hrxt);
    let removed = 0;
    let k = 0;
    while (k < this.n && this.off(this.ends[k]!) <= a) {
      removed += this.off(this.ends[k]!) - this.off(this.starts[k]!);
      k++;
    }
    if (k < this.n && this.off(this.starts[k]!) < a) {
      removed += a - this.off(this.starts[k]!);
      this.starts[k] = ack;
    }
    if (k > 0) {
      this.starts.copyWithin(0, k, this.n);
      this.ends.copyWithin(0, k, this.n);
      this.n -= k;
    }
    this.sacked -= removed;
    r.sackedAcked = removed;
    if (hr > a) {
      this.sackedBelowRxt -= removed;
    } else {
      this.hrxt = ack;
      this.sackedBelowRxt = 0;
    }
    if (seqLt(this.lostMark, ack)) this.lostMark = ack;
    if (seqLt(this.recoveryPt, ack)) this.recoveryPt = ack;
    this.una = ack;
  }

  /**
   * Merges [s, e) (already valid) into the ranges. Returns the bytes newly
   * SACKed, or -1 if it needed a new range beyond the cap.
   */
  private insert(s: Seq, e: Seq): number {
    const so = this.off(s);
    const eo = this.off(e);
    // i: first range ending at or after s (touching counts: keep ranges maximal).
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.off(this.ends[mid]!) < so) lo = mid + 1;
      else hi = mid;
    }
    const i = lo;
    // j: last range starting at or before e.
    let j = i - 1;
    while (j + 1 < this.n && this.off(this.starts[j + 1]!) <= eo) j++;
    const hr = this.off(this.hrxt);
    if (j < i) {
      if (this.n >= this.maxRanges) return -1;
      this.grow();
      this.starts.copyWithin(i + 1, i, this.n);
      this.ends.copyWithin(i + 1, i, this.n);
      this.starts[i] = s;
      this.ends[i] = e;
      this.n++;
      this.sacked += eo - so;
      this.sackedBelowRxt += clip(so, eo, hr);
      return eo - so;
    }
    const ns = Math.min(so, this.off(this.starts[i]!));
    const ne = Math.max(eo, this.off(this.ends[j]!));
    let old = 0;
    let oldBelowRxt = 0;
    for (let k = i; k <= j; k++) {
      const ks = this.off(this.starts[k]!);
      const ke = this.off(this.ends[k]!);
      old += ke - ks;
      oldBelowRxt += clip(ks, ke, hr);
    }
    this.starts[i] = seqAdd(this.una, ns);
    this.ends[i] = seqAdd(this.una, ne);
    if (j > i) {
      this.starts.copyWithin(i + 1, j + 1, this.n);
      this.ends.copyWithin(i + 1, j + 1, this.n);
      this.n -= j - i;
    }
    const added = ne - ns - old;
    this.sacked += added;
    this.sackedBelowRxt += clip(ns, ne, hr) - oldBelowRxt;
    return added;
  }

  private grow(): void {
    if (this.n < this.starts.length) return;
    const cap = Math.min(this.starts.length * 2, Math.max(this.maxRanges, 16));
    const s = new Uint32Array(cap);
    const e = new Uint32Array(cap);
    s.set(this.starts);
    e.set(this.ends);
    this.starts = s;
    this.ends = e;
  }

  /** Index of the first range whose end is above offset o (n if none). */
  private firstEndAbove(o: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.off(this.ends[mid]!) <= o) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Number of holes deemed lost by RFC 6675's rule: holes 0..L−1, hole i
   * being the gap just below range i. Looks at the top DupThresh ranges at most.
   */
  private lostHoles(mss: number): number {
    const byteLimit = (this.dupThresh - 1) * mss;
    let bytes = 0;
    for (let i = this.n - 1; i >= 0; i--) {
      bytes += this.off(this.ends[i]!) - this.off(this.starts[i]!);
      if (this.n - i >= this.dupThresh || bytes > byteLimit) return i + 1;
    }
    return 0;
  }

  /** SACKed bytes in ranges i..n−1. */
  private suffixBytes(i: number): number {
    let b = 0;
    for (let k = i; k < this.n; k++) b += this.off(this.ends[k]!) - this.off(this.starts[k]!);
    return b;
  }

  /** SACKed bytes within offsets [a, b): binary search, then a walk over the ranges inside. */
  private sackedWithin(a: number, b: number): number {
    if (b <= a || this.n === 0) return 0;
    let i = this.firstEndAbove(a);
    let total = 0;
    for (; i < this.n; i++) {
      const ks = this.off(this.starts[i]!);
      if (ks >= b) break;
      total += Math.min(b, this.off(this.ends[i]!)) - Math.max(a, ks);
    }
    return total;
  }

  /** First unSACKed offset at or above o, below SND.NXT; -1 if none. */
  private firstUnsackedFrom(o: number): number {
    if (o >= this.off(this.nxt)) return -1;
    const i = this.firstEndAbove(o);
    if (i < this.n && this.off(this.starts[i]!) <= o) {
      const e = this.off(this.ends[i]!);
      return e < this.off(this.nxt) ? e : -1;
    }
    return o;
  }

  /** End (offset) of the hole containing unSACKed offset o. */
  private holeEnd(o: number): number {
    const i = this.firstEndAbove(o);
    return i < this.n ? this.off(this.starts[i]!) : this.off(this.nxt);
  }

  /** Start (offset) of the hole whose end is `end`. */
  private holeStartBelow(end: number): number {
    const i = this.firstEndAbove(end - 1);
    return i > 0 ? this.off(this.ends[i - 1]!) : 0;
  }

  /** One past the highest unSACKed outstanding byte (offset), 0 if none. */
  private highestUnsackedEnd(): number {
    const nxt = this.off(this.nxt);
    if (this.n === 0) return nxt;
    const top = this.off(this.ends[this.n - 1]!);
    if (top < nxt) return nxt;
    return this.off(this.starts[this.n - 1]!);
  }
}

/** Length of [a, b) ∩ [0, limit). */
function clip(a: number, b: number, limit: number): number {
  const e = b < limit ? b : limit;
  return e > a ? e - a : 0;
}
