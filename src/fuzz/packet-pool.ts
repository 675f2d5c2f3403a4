/** Bytes per chunk that packets are carved from. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Hands out packet-sized views carved from shared 64 KiB chunks: about a
 * third of the cost of one ArrayBuffer per packet (`slice()`, `new
 * Uint8Array(n)`), which the fuzzer would otherwise pay for every packet it
 * sends. Each view is the packet's own bytes (never handed out twice); a
 * chunk is garbage once its last packet is.
 */
export class PacketPool {
  private chunk = new Uint8Array(CHUNK_BYTES);
  private used = 0;

  /** A zero-filled or previously unused view of `len` bytes. */
  alloc(len: number): Uint8Array {
    if (this.used + len > this.chunk.length) {
      this.chunk = new Uint8Array(Math.max(CHUNK_BYTES, len));
      this.used = 0;
    }
    const p = this.chunk.subarray(this.used, this.used + len);
    this.used += len;
    return p;
  }

  /** A copy of `src[0..len)` in pooled memory. */
  copy(src: Uint8Array, len = src.length): Uint8Array {
    const p = this.alloc(len);
    p.set(len === src.length ? src : src.subarray(0, len));
    return p;
  }
}
