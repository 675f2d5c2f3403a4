/**
 * The send queue of one connection: bytes the application wrote that are not
 * yet acknowledged, from SND.UNA onwards (RFC 9293 §3.3.1 "send sequence
 * space": acknowledged | in flight | not yet sent).
 *
 * ```
 *   offset 0 = SND.UNA           SND.NXT - SND.UNA            length
 *   |<------ in flight ------->|<------- not yet sent ------->|
 *   [ chunk ][ chunk ][  chunk  ][ chunk ]
 * ```
 *
 * Zero-copy on write: the queue keeps references to the caller's arrays
 * (the caller must not modify them until they are acknowledged), so payload
 * bytes are copied exactly once, into the outgoing packet. A small cursor
 * cache makes the sequential reads of the transmit path O(1).
 *
 * Push marks record where a write ended without MSG_MORE: Linux sets PSH on
 * the tail skb then (tcp_push → tcp_mark_push), and the flag shows on the
 * segment that carries the end of that skb (output.ts decides per burst).
 */
export class SendBuffer {
  private chunks: Uint8Array[] = [];
  private head = 0;
  /** Bytes of chunks[head] already acknowledged. */
  private headOff = 0;
  private len = 0;
  // Cursor cache: chunk index and the buffer offset where that chunk's unconsumed part starts.
  private curIdx = -1;
  private curStart = 0;
  /** Stream position (bytes ever appended before it) of offset 0, i.e. of SND.UNA. */
  private base = 0;
  /** Push marks as stream positions, ascending; those before `markHead` are spent. */
  private marks: number[] = [];
  private markHead = 0;
  /** Marks before this index lie at or below the last `pushMarkIn` start (SND.NXT only moves forward). */
  private markScan = 0;

  /** Bytes held (in flight + not yet sent). */
  get length(): number {
    return this.len;
  }

  /**
   * Appends `data` by reference. Empty arrays are ignored. `intoTail` says
   * the bytes join the unsent skb that ends the buffer (write-space.ts): if
   * that skb carries a push mark, the mark moves to the new end, because
   * Linux's PSH flag belongs to the skb (tcp_sendmsg_locked fills the
   * write-queue tail first).
   */
  append(data: Uint8Array, intoTail = false): void {
    if (data.length === 0) return;
    const end = this.base + this.len;
    const moves = intoTail && this.marks.length > this.markHead && this.marks[this.marks.length - 1] === end;
    this.chunks.push(data);
    this.len += data.length;
    if (moves) this.marks[this.marks.length - 1] = end + data.length;
  }

  /** Marks the current end as the end of a push (PSH) unit. */
  markPush(): void {
    const end = this.base + this.len;
    if (this.marks.length > this.markHead && this.marks[this.marks.length - 1] === end) return;
    this.marks.push(end);
  }

  /** True if a push mark lies in (from, to], offsets from SND.UNA. */
  pushMarkIn(from: number, to: number): boolean {
    const lo = this.base + from;
    const hi = this.base + to;
    const m = this.marks;
    let i = this.markScan > this.markHead ? this.markScan : this.markHead;
    if (i > this.markHead && m[i - 1]! > lo) i = this.markHead;
    while (i < m.length && m[i]! <= lo) i++;
    this.markScan = i;
    return i < m.length && m[i]! <= hi;
  }

  /**
   * Copies `n` bytes starting at `offset` (relative to SND.UNA) into
   * `dst[dstOff..]`. Programmer error if the range exceeds the buffer.
   */
  copyOut(offset: number, n: number, dst: Uint8Array, dstOff: number): void {
    if (offset < 0 || n < 0 || offset + n > this.len) throw new RangeError('SendBuffer.copyOut: out of range');
    if (n === 0) return;
    let idx: number;
    let start: number;
    if (this.curIdx >= this.head && this.curStart <= offset) {
      idx = this.curIdx;
      start = this.curStart;
    } else {
      idx = this.head;
      start = 0;
    }
    // Walk to the chunk holding `offset`.
    for (;;) {
      const avail = this.chunkLen(idx);
      if (offset < start + avail) break;
      start += avail;
      idx++;
    }
    this.curIdx = idx;
    this.curStart = start;
    let within = offset - start;
    while (n > 0) {
      const chunk = this.chunks[idx]!;
      const base = idx === this.head ? this.headOff : 0;
      const take = Math.min(n, chunk.length - base - within);
      dst.set(chunk.subarray(base + within, base + within + take), dstOff);
      dstOff += take;
      n -= take;
      if (n > 0) {
        start += chunk.length - base;
        idx++;
        within = 0;
      }
    }
  }

  /** Drops `n` acknowledged bytes from the front. */
  consume(n: number): void {
    if (n <= 0) return;
    if (n > this.len) n = this.len;
    this.len -= n;
    this.base += n;
    const m = this.marks;
    while (this.markHead < m.length && m[this.markHead]! <= this.base) this.markHead++;
    if (this.markHead === m.length) {
      if (m.length > 0) this.marks = [];
      this.markHead = 0;
      this.markScan = 0;
    } else if (this.markHead > 64 && this.markHead * 2 > m.length) {
      this.marks = m.slice(this.markHead);
      this.markScan = Math.max(0, this.markScan - this.markHead);
      this.markHead = 0;
    }
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[this.head]!;
      const avail = chunk.length - this.headOff;
      if (left < avail) {
        this.headOff += left;
        left = 0;
      } else {
        left -= avail;
        this.chunks[this.head] = EMPTY; // release the reference now
        this.head++;
        this.headOff = 0;
      }
    }
    // The cursor's offsets are relative to the old front.
    if (this.curIdx >= this.head) {
      this.curStart -= n;
      if (this.curStart < 0) this.curIdx = -1;
    } else this.curIdx = -1;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
      this.curIdx = -1;
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      if (this.curIdx >= 0) this.curIdx -= this.head;
      this.head = 0;
    }
  }

  /** Drops everything (abort). */
  clear(): void {
    this.base += this.len;
    this.marks = [];
    this.markHead = 0;
    this.markScan = 0;
    this.chunks = [];
    this.head = 0;
    this.headOff = 0;
    this.len = 0;
    this.curIdx = -1;
  }

  private chunkLen(idx: number): number {
    const c = this.chunks[idx]!;
    return idx === this.head ? c.length - this.headOff : c.length;
  }
}

const EMPTY = new Uint8Array(0);
