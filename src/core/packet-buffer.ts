/**
 * An outbound packet under construction, laid out so that each layer pushes
 * its header in front of the previous one without copying the payload:
 *
 * ```
 *  buf: [ .......headroom....... | pushed headers | payload ]
 *        0                     start                       end
 *                                 <------ view() ---------->
 * ```
 *
 * The transport allocates with {@link PacketBuffer.alloc}, writes its payload
 * and header, and each lower layer calls {@link PacketBuffer.prepend}.
 * Invariant: 0 <= start <= end <= buf.length.
 */
export class PacketBuffer {
  /** Room every outbound packet reserves: Ethernet + 802.1Q (18) + IPv6 (40) + fragment header (8), rounded up. */
  static readonly LINK_AND_IP_HEADROOM = 80;

  constructor(
    readonly buf: Uint8Array,
    public start: number,
    public end: number,
  ) {}

  /**
   * A buffer whose view is `size` bytes long (payload + this layer's header),
   * with {@link LINK_AND_IP_HEADROOM} bytes in front for the lower layers.
   */
  static alloc(size: number, headroom = PacketBuffer.LINK_AND_IP_HEADROOM): PacketBuffer {
    // Not zero-filled: every byte of the view is written by the layer that
    // owns it (payload, then each header), and zeroing every segment was a
    // measurable share of the transmit path. Headroom never leaves the buffer.
    return new PacketBuffer(Buffer.allocUnsafe(headroom + size), headroom, headroom + size);
  }

  /** Wraps finished bytes (e.g. a crafted packet) with no headroom. */
  static of(bytes: Uint8Array): PacketBuffer {
    return new PacketBuffer(bytes, 0, bytes.length);
  }

  get length(): number {
    return this.end - this.start;
  }

  /** Free bytes in front of the data. */
  get headroom(): number {
    return this.start;
  }

  /**
   * Grows the view by `n` bytes at the front and returns the new start
   * offset. When the headroom is too small the data is moved once into a
   * larger buffer (a slow path that well-sized allocations never take).
   */
  prepend(n: number): number {
    if (n > this.start) this.regrow(n);
    this.start -= n;
    return this.start;
  }

  /** The packet bytes, as a view. */
  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  private regrow(n: number): void {
    const extra = n - this.start + PacketBuffer.LINK_AND_IP_HEADROOM;
    const next = new Uint8Array(this.buf.length + extra);
    next.set(this.buf.subarray(this.start, this.end), this.start + extra);
    (this as { buf: Uint8Array }).buf = next;
    this.start += extra;
    this.end += extra;
  }
}
