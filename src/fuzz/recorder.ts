/** One packet of a run, as sent. */
export interface RecordedPacket {
  /** Position in the run (0-based). */
  readonly index: number;
  /** The target's clock when it was injected, µs. */
  readonly timeUs: number;
  readonly data: Uint8Array;
}

/**
 * The last packets of a run, kept for the reproducer: a ring of entries
 * over one byte arena, so recording costs a copy into memory allocated
 * once, whatever the length of the run. When the arena wraps, the oldest
 * packets are forgotten.
 *
 * ```
 * arena: [ lap k+1 entries | pos → ... | tail of lap k (oldest) ]
 * ```
 * Invariant: the valid entries, oldest first, are a tail of the previous
 * lap lying at or after `pos`, then the current lap from 0 up to `pos`.
 */
export class Recorder {
  private readonly arena: Uint8Array;
  private readonly starts: Int32Array;
  private readonly lengths: Int32Array;
  private readonly times: Float64Array;
  private readonly indices: Float64Array;
  private head = 0;
  private size = 0;
  private pos = 0;

  constructor(
    readonly capacity = 65_536,
    arenaBytes = 32 * 1024 * 1024,
  ) {
    this.arena = new Uint8Array(arenaBytes);
    this.starts = new Int32Array(capacity);
    this.lengths = new Int32Array(capacity);
    this.times = new Float64Array(capacity);
    this.indices = new Float64Array(capacity);
  }

  /** Packets held. */
  get count(): number {
    return this.size;
  }

  /** Copies `p` in as packet `index`, sent at `timeUs`. */
  add(index: number, timeUs: number, p: Uint8Array): void {
    const len = Math.min(p.length, this.arena.length);
    if (this.pos + len > this.arena.length) {
      // Wrap: the previous lap's tail is older than what we are about to overwrite at 0.
      while (this.size > 0 && this.starts[this.head]! >= this.pos) this.dropOldest();
      this.pos = 0;
    }
    while (this.size > 0 && this.overlaps(this.head, this.pos, len)) this.dropOldest();
    if (this.size === this.capacity) this.dropOldest();
    const slot = (this.head + this.size) % this.capacity;
    this.arena.set(len === p.length ? p : p.subarray(0, len), this.pos);
    this.starts[slot] = this.pos;
    this.lengths[slot] = len;
    this.times[slot] = timeUs;
    this.indices[slot] = index;
    this.pos += len;
    this.size++;
  }

  /** The last `n` packets (all by default), oldest first, as copies. */
  tail(n = this.size): RecordedPacket[] {
    const k = Math.min(n, this.size);
    const out: RecordedPacket[] = [];
    for (let i = this.size - k; i < this.size; i++) {
      const slot = (this.head + i) % this.capacity;
      const s = this.starts[slot]!;
      out.push({ index: this.indices[slot]!, timeUs: this.times[slot]!, data: this.arena.slice(s, s + this.lengths[slot]!) });
    }
    return out;
  }

  private overlaps(slot: number, start: number, len: number): boolean {
    const s = this.starts[slot]!;
    const e = s + this.lengths[slot]!;
    return s < start + len && start < e;
  }

  private dropOldest(): void {
    this.head = (this.head + 1) % this.capacity;
    this.size--;
  }
}
