import { type Seq, seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqMax, seqMin } from '../core/seq.js';

/**
 * Out-of-order segments beyond RCV.NXT, waiting for the hole in front of
 * them to fill (RFC 9293 §3.10.7.4 "seventh, process the segment text"; RFC
 * 5681 §4.2 asks for an immediate ACK when one arrives), plus the SACK
 * blocks that describe them (RFC 2018 §4) and the D-SACK block for a
 * duplicate (RFC 2883).
 *
 * Pieces are kept sorted and non-overlapping; the queue is bounded both in
 * bytes and in the number of separate ranges ("holes"), and refuses what
 * does not fit (the sender will retransmit it).
 */
interface Piece {
  start: Seq;
  data: Uint8Array;
}

/** Why {@link OooQueue.insert} did not keep (all of) a segment. */
export type OooInsertResult = 'queued' | 'duplicate' | 'full';

export class OooQueue {
  private pieces: Piece[] = [];
  private bytes = 0;
  /** SACK ranges by recency: [start, end) pairs, most recently changed first (RFC 2018 §4). */
  private recent: Array<[Seq, Seq]> = [];
  /** The pending D-SACK block (RFC 2883 §4), sent once in the next ACK. */
  dsack: [Seq, Seq] | null = null;

  constructor(
    /** Most bytes held. */
    public maxBytes: number,
    /** Most separate ranges held. */
    public maxRanges = 32,
  ) {}

  /** Bytes held. */
  get size(): number {
    return this.bytes;
  }

  /** True when nothing is queued. */
  get empty(): boolean {
    return this.pieces.length === 0;
  }

  /** Number of separate contiguous ranges. */
  get rangeCount(): number {
    return this.ranges().length;
  }

  /** Highest sequence number held + 1 (the right edge), or null when empty. */
  get highEdge(): Seq | null {
    const last = this.pieces[this.pieces.length - 1];
    return last ? seqAdd(last.start, last.data.length) : null;
  }

  /**
   * Adds the bytes of a segment starting at `start` (which must be after
   * RCV.NXT). Parts already held are dropped and reported as D-SACK; the
   * bytes are copied (the segment buffer may be reused by the link).
   */
  insert(start: Seq, data: Uint8Array): OooInsertResult {
    const end = seqAdd(start, data.length);
    // Duplicate detection: the first already-held byte range inside [start, end).
    let dupStart: Seq | null = null;
    let dupEnd: Seq | null = null;
    const fresh: Array<[Seq, Seq]> = [];
    let cur = start;
    for (const p of this.pieces) {
      const pEnd = seqAdd(p.start, p.data.length);
      if (seqLe(pEnd, cur)) continue;
      if (seqGe(p.start, end)) break;
      if (seqLt(cur, p.start)) fresh.push([cur, p.start]);
      const os = seqMax(cur, p.start);
      const oe = seqMin(end, pEnd);
      if (dupStart === null) {
        dupStart = os;
        dupEnd = oe;
      }
      cur = seqMax(cur, pEnd);
      if (seqGe(cur, end)) break;
    }
    if (seqLt(cur, end)) fresh.push([cur, end]);
    if (dupStart !== null && dupEnd !== null) this.dsack = [dupStart, dupEnd];
    if (fresh.length === 0) {
      // RFC 2883 §4: the block holding the duplicate follows the D-SACK block.
      this.noteRecent(start, end);
      return 'duplicate';
    }
    let add = 0;
    for (const [s, e] of fresh) add += seqDiff(e, s);
    if (this.bytes + add > this.maxBytes) return 'full';
    // Count ranges after the insertion without building them.
    if (this.rangeCountWith(start, end) > this.maxRanges) return 'full';
    for (const [s, e] of fresh) {
      const off = seqDiff(s, start);
      const piece: Piece = { start: s, data: data.slice(off, off + seqDiff(e, s)) };
      this.insertSorted(piece);
    }
    this.bytes += add;
    this.noteRecent(start, end);
    return dupStart === null ? 'queued' : 'duplicate';
  }

  /**
   * Takes the pieces that now continue the in-order stream at `rcvNxt`
   * (trimming anything below it) and calls `deliver` with each, in order.
   * Returns the new RCV.NXT.
   */
  drain(rcvNxt: Seq, deliver: (data: Uint8Array) => void): Seq {
    while (this.pieces.length > 0) {
      const p = this.pieces[0]!;
      if (seqGt(p.start, rcvNxt)) break;
      this.pieces.shift();
      this.bytes -= p.data.length;
      const pEnd = seqAdd(p.start, p.data.length);
      if (seqGt(pEnd, rcvNxt)) {
        deliver(p.data.subarray(seqDiff(rcvNxt, p.start)));
        rcvNxt = pEnd;
      }
    }
    this.recent = this.recent.filter(([, e]) => seqGt(e, rcvNxt));
    return rcvNxt;
  }

  /**
   * Writes up to `max` SACK blocks into `out` as [s0, e0, s1, e1, …] and
   * returns how many: the D-SACK block first if one is pending (RFC 2883
   * §4), then the range holding the most recent arrival, then the other
   * recently reported ranges (RFC 2018 §4).
   */
  sackBlocks(out: number[], max: number, rcvNxt: Seq): number {
    let n = 0;
    if (this.dsack !== null && max > 0) {
      out[0] = this.dsack[0];
      out[1] = this.dsack[1];
      n = 1;
    }
    if (this.pieces.length === 0) return n;
    const ranges = this.ranges();
    const used = new Set<number>();
    for (const [rs] of this.recent) {
      if (n >= max) break;
      const r = ranges.find(([s, e]) => seqLe(s, rs) && seqLt(rs, e));
      if (!r || used.has(r[0]) || seqLe(r[1], rcvNxt)) continue;
      used.add(r[0]);
      out[2 * n] = r[0];
      out[2 * n + 1] = r[1];
      n++;
    }
    return n;
  }

  /** Drops everything (abort, or pruning under memory pressure). */
  clear(): void {
    this.pieces = [];
    this.bytes = 0;
    this.recent = [];
    this.dsack = null;
  }

  /** Contiguous [start, end) ranges held, in sequence order. */
  ranges(): Array<[Seq, Seq]> {
    const out: Array<[Seq, Seq]> = [];
    for (const p of this.pieces) {
      const e = seqAdd(p.start, p.data.length);
      const last = out[out.length - 1];
      if (last && last[1] === p.start) last[1] = e;
      else out.push([p.start, e]);
    }
    return out;
  }

  private rangeCountWith(start: Seq, end: Seq): number {
    const rs = this.ranges();
    let count = 0;
    let merged = false;
    for (const [s, e] of rs) {
      if (seqLt(e, start) || seqGt(s, end)) count++;
      else if (!merged) {
        merged = true;
        count++;
      }
    }
    return merged ? count : count + 1;
  }

  private insertSorted(piece: Piece): void {
    const ps = this.pieces;
    let i = ps.length;
    while (i > 0 && seqGt(ps[i - 1]!.start, piece.start)) i--;
    ps.splice(i, 0, piece);
  }

  private noteRecent(start: Seq, end: Seq): void {
    // The block holding the newest data goes first; others keep their order.
    this.recent = this.recent.filter(([s, e]) => seqLt(e, start) || seqGt(s, end));
    this.recent.unshift([start, end]);
    if (this.recent.length > 8) this.recent.length = 8;
  }
}
