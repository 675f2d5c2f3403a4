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

  /** Bytes held (in flight + not yet sent). */
  get length(): number {
    return this.len;
  }

  /** Appends `data` by reference. Empty arrays are ignored. */
  append(data: Uint8Array): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.len += data.length;
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
