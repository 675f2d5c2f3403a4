/**
 * In-order received bytes waiting for the application (RFC 9293 §3.3.1
 * "receive sequence space": the part before RCV.NXT not yet read).
 *
 * Inbound payloads are views into link buffers that may be reused, so they
 * are copied once, into blocks that are never overwritten; reads return
 * views of those blocks (no second copy) unless a read spans blocks. Blocks
 * grow from 2 KiB to 64 KiB with use, and are released when drained, so an
 * idle connection holds at most one small block.
 */
const MIN_BLOCK = 2048;
const MAX_BLOCK = 256 * 1024;

export class RecvBuffer {
  private chunks: Uint8Array[] = [];
  private head = 0;
  private len = 0;
  private block: Uint8Array | null = null;
  private blockUsed = 0;
  private nextBlockSize = MIN_BLOCK;

  /** Bytes waiting to be read. */
  get length(): number {
    return this.len;
  }

  /** Copies `data` in. */
  append(data: Uint8Array): void {
    const n = data.length;
    if (n === 0) return;
    let block = this.block;
    let at = this.blockUsed;
    if (block === null || block.length - at < n) {
      block = newBlock(Math.max(this.nextBlockSize, n));
      this.block = block;
      at = 0;
      if (this.nextBlockSize < MAX_BLOCK) this.nextBlockSize *= 2;
    }
    block.set(data, at);
    this.blockUsed = at + n;
    this.len += n;
    // Extend the last chunk when the new bytes follow it in the same block
    // (one view per run of appends, not one per segment).
    const k = this.chunks.length - 1;
    if (k >= this.head) {
      const last = this.chunks[k]!;
      if (last.buffer === block.buffer && last.byteOffset + last.length === block.byteOffset + at) {
        this.chunks[k] = block.subarray(last.byteOffset - block.byteOffset, at + n);
        return;
      }
    }
    this.chunks.push(block.subarray(at, at + n));
  }

  /**
   * Removes and returns up to `max` bytes (all by default). Returns a view
   * when the bytes sit in one block, a fresh array otherwise; an empty array
   * when nothing is buffered.
   */
  read(max = Infinity): Uint8Array {
    return this.take(max, true);
  }

  /** Like {@link read} but leaves the bytes in place (MSG_PEEK). */
  peek(max = Infinity): Uint8Array {
    return this.take(max, false);
  }

  /** Drops up to `n` bytes without returning them; returns how many. */
  discard(n = Infinity): number {
    const k = Math.min(n, this.len);
    this.take(k, true, true);
    return k;
  }

  /** Releases everything (abort / close). */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.len = 0;
    this.block = null;
    this.blockUsed = 0;
  }

  private take(max: number, consume: boolean, noCopy = false): Uint8Array {
    const n = Math.min(max, this.len);
    if (n <= 0) return EMPTY;
    const first = this.chunks[this.head]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (consume) {
        if (first.length === n) this.chunks[this.head++] = EMPTY;
        else this.chunks[this.head] = first.subarray(n);
      }
    } else {
      out = noCopy ? EMPTY : new Uint8Array(n);
      let o = 0;
      let i = this.head;
      while (o < n) {
        const c = this.chunks[i]!;
        const k = Math.min(c.length, n - o);
        if (!noCopy) out.set(c.subarray(0, k), o);
        o += k;
        if (consume) {
          if (k === c.length) {
            this.chunks[i] = EMPTY;
            this.head = i + 1;
          } else this.chunks[i] = c.subarray(k);
        }
        i++;
      }
    }
    if (consume) {
      this.len -= n;
      if (this.len === 0) {
        this.chunks = [];
        this.head = 0;
        // Keep a large block that still has most of its room (bulk transfer);
        // release small or mostly used ones so an idle connection pins nothing.
        if (this.block !== null && (this.blockUsed * 2 > this.block.length || this.block.length <= 4096)) {
          this.block = null;
          this.blockUsed = 0;
        }
      } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
        this.chunks = this.chunks.slice(this.head);
        this.head = 0;
      }
    }
    return out;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * A block for received bytes. Not zero-filled (Buffer.allocUnsafeSlow gives
 * uninitialised memory of its own): only bytes copied in are ever exposed,
 * and zeroing 64 KiB blocks was a visible cost of the receive path. Readers
 * get plain Uint8Array views.
 */
function newBlock(size: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size);
}
