import { PacketBuffer } from '../core/packet-buffer.js';

/** Bytes per slab: room for about 40 full-sized segments at MTU 1500, and below
 * malloc's mmap threshold so freed slabs are recycled without page faults. */
const SLAB_BYTES = 256 * 1024;
/** Packets are placed at 8-byte boundaries, so each header starts word-aligned (faster checksums). */
const ALIGN = 8;

/**
 * Outbound segment memory for one TCP layer: packets are carved one after
 * another out of large uninitialised slabs instead of one allocation each.
 *
 * Why: `Buffer.allocUnsafe` per segment (a pool slice wrapped in a
 * `FastBuffer`) was a visible share of the transmit path, and every later
 * `subarray` of a Buffer goes through Node's JS wrapper. A plain `Uint8Array`
 * view over a slab costs one small object, and its subarrays are V8
 * builtins.
 *
 * Safety: a region is handed out once and never reused, so a frame the link
 * (or a pcap tap, or a test) keeps stays intact; a slab is freed by the GC
 * when no view of it is left. Slabs are not zeroed: every byte of a view is
 * written by the layers that build the packet (payload, then each header),
 * and the headroom is never exposed — the same contract as
 * {@link PacketBuffer.alloc}.
 */
export class PacketSlab {
  private slab: ArrayBuffer | null = null;
  private used = 0;

  /** A packet buffer of `size` bytes (transport header + payload) with the standard headroom. */
  alloc(size: number): PacketBuffer {
    const headroom = PacketBuffer.LINK_AND_IP_HEADROOM;
    const total = headroom + size;
    if (total > SLAB_BYTES >>> 2) return PacketBuffer.alloc(size);
    let slab = this.slab;
    if (slab === null || this.used + total > SLAB_BYTES) {
      // allocUnsafeSlow: an unpooled, uninitialised ArrayBuffer of its own.
      slab = Buffer.allocUnsafeSlow(SLAB_BYTES).buffer as ArrayBuffer;
      this.slab = slab;
      this.used = 0;
    }
    const view = new Uint8Array(slab, this.used, total);
    this.used += (total + ALIGN - 1) & ~(ALIGN - 1);
    return new PacketBuffer(view, headroom, total);
  }
}
