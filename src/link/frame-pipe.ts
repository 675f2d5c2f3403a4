import type { Clock, ClockTimer } from '../core/clock.js';
import type { FrameReceiver } from './link.js';

/**
 * Traffic counters of one direction of an in-memory medium. Plain numeric
 * fields so the hot path only increments.
 */
export class PipeStats {
  /** Frames accepted by `send()` (queued for delivery). */
  framesSent = 0;
  bytesSent = 0;
  /** Frames handed to the receiver. */
  framesDelivered = 0;
  bytesDelivered = 0;
  /** Frames larger than the medium carries. */
  droppedOversize = 0;
  /** Frames refused because the bounded queue was full (drop-tail). */
  droppedQueueFull = 0;
  /** Frames sent after close, or still queued when the medium closed. */
  droppedClosed = 0;
  /** Frames that arrived while no receiver was installed. */
  droppedNoReceiver = 0;

  /** All drops, whatever the reason. */
  get dropped(): number {
    return this.droppedOversize + this.droppedQueueFull + this.droppedClosed + this.droppedNoReceiver;
  }
}

/** How one direction of an in-memory medium behaves. */
export interface PipeOptions {
  /** Largest frame carried, in bytes (the whole frame, link header included). */
  maxFrameBytes: number;
  /** One-way propagation delay in µs (default 0). */
  latencyUs?: number;
  /** Serialisation rate in bits per second; 0 or absent means infinitely fast. */
  bandwidthBps?: number;
  /** Drop-tail limit on queued bytes; absent means unbounded. See {@link FramePipe}. */
  queueLimitBytes?: number;
}

// Integer-µs due times are derived from float sums; shave float noise off
// before rounding up so an exact 12000.000000001 does not become 12001.
const ROUNDING_SLACK_US = 1e-6;
const INITIAL_CAPACITY = 64;

/**
 * One direction of an in-memory wire: a FIFO of frames with their due times,
 * drained through the clock.
 *
 * Delivery never happens inside `push()`: a frame is queued and a single
 * clock wakeup drains every frame that is due, so a stack that answers from
 * inside its receive handler never re-enters itself, and frames pushed in the
 * same turn with no latency cost one wakeup between them (a batch). Frames
 * pushed while the pipe is being drained wait for the next wakeup, so a
 * receiver that sends back into the same pipe (loopback) cannot loop forever
 * inside one wakeup.
 *
 * Timing: with a bandwidth, frames are serialised one after another, so a
 * frame is due at `max(now, busyUntil) + size·8/bandwidth + latency`
 * (rounded up to whole µs). Due times never decrease, which is what lets a
 * plain FIFO with one wakeup at its head stand in for a timer per frame.
 *
 * Queue limit: with a bandwidth, the queue is the bytes still waiting to be
 * serialised (`(busyUntil − now)·bandwidth/8`), like a router's transmit
 * queue, and frames in propagation do not count. Without a bandwidth nothing
 * ever waits to be serialised, so the limit applies to all bytes not yet
 * delivered. A frame that would make the queue exceed the limit is dropped
 * (drop-tail).
 *
 * The queue is a power-of-two ring of frames plus a parallel Float64Array of
 * due times: no object is allocated per frame.
 */
export class FramePipe {
  /** Counters of this direction (live object). */
  readonly stats = new PipeStats();
  /** Where due frames go; null drops them (counted). */
  receiver: FrameReceiver | null = null;

  private frames: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(INITIAL_CAPACITY);
  private due = new Float64Array(INITIAL_CAPACITY);
  private mask = INITIAL_CAPACITY - 1;
  private head = 0;
  private count = 0;
  private undeliveredBytes = 0;
  /** When the transmitter finishes serialising what it has (float µs). */
  private busyUntil = 0;
  private timer: ClockTimer | null = null;
  private draining = false;
  private closed = false;

  private readonly maxFrameBytes: number;
  private readonly latencyUs: number;
  /** µs per byte at the configured bandwidth; 0 for an infinitely fast wire. */
  private readonly usPerByte: number;
  /** Bytes per µs at the configured bandwidth; 0 for an infinitely fast wire. */
  private readonly bytesPerUs: number;
  private readonly queueLimitBytes: number;
  private readonly drainFn = (): void => this.drain();

  constructor(
    private readonly clock: Clock,
    options: PipeOptions,
  ) {
    const bw = options.bandwidthBps ?? 0;
    const latency = options.latencyUs ?? 0;
    if (!(bw >= 0) || !Number.isFinite(bw)) throw new RangeError(`FramePipe: bad bandwidth ${bw}`);
    if (!(latency >= 0) || !Number.isFinite(latency)) throw new RangeError(`FramePipe: bad latency ${latency}`);
    if (!(options.maxFrameBytes > 0)) throw new RangeError(`FramePipe: bad max frame ${options.maxFrameBytes}`);
    this.maxFrameBytes = options.maxFrameBytes;
    this.latencyUs = latency;
    this.usPerByte = bw > 0 ? 8_000_000 / bw : 0;
    this.bytesPerUs = bw > 0 ? bw / 8_000_000 : 0;
    this.queueLimitBytes = options.queueLimitBytes ?? Infinity;
  }

  /** Frames queued and not yet delivered. */
  get queuedFrames(): number {
    return this.count;
  }

  /** Bytes queued and not yet delivered. */
  get queuedBytes(): number {
    return this.undeliveredBytes;
  }

  /** Whether {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues `frame` for delivery (or drops it, counted). Never delivers synchronously. */
  push(frame: Uint8Array): void {
    const stats = this.stats;
    if (this.closed) {
      stats.droppedClosed++;
      return;
    }
    const len = frame.length;
    if (len > this.maxFrameBytes) {
      stats.droppedOversize++;
      return;
    }
    const now = this.clock.now();
    let dueAt: number;
    if (this.usPerByte > 0) {
      const start = this.busyUntil > now ? this.busyUntil : now;
      if ((start - now) * this.bytesPerUs + len > this.queueLimitBytes) {
        stats.droppedQueueFull++;
        return;
      }
      this.busyUntil = start + len * this.usPerByte;
      dueAt = Math.ceil(this.busyUntil + this.latencyUs - ROUNDING_SLACK_US);
    } else {
      if (this.undeliveredBytes + len > this.queueLimitBytes) {
        stats.droppedQueueFull++;
        return;
      }
      dueAt = now + this.latencyUs;
    }
    if (this.count === this.due.length) this.grow();
    const slot = (this.head + this.count) & this.mask;
    this.frames[slot] = frame;
    this.due[slot] = dueAt;
    this.count++;
    this.undeliveredBytes += len;
    stats.framesSent++;
    stats.bytesSent += len;
    if (this.timer === null && !this.draining) this.arm();
  }

  /** Stops delivery for good: cancels the wakeup and drops what is queued (counted as closed). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) {
      this.clock.cancel(this.timer);
      this.timer = null;
    }
    this.stats.droppedClosed += this.count;
    for (let i = 0; i < this.count; i++) this.frames[(this.head + i) & this.mask] = undefined;
    this.count = 0;
    this.undeliveredBytes = 0;
  }

  private arm(): void {
    this.timer = this.clock.schedule(this.due[this.head]!, this.drainFn);
  }

  private drain(): void {
    this.timer = null;
    this.draining = true;
    try {
      const now = this.clock.now();
      const stats = this.stats;
      // Only frames queued before this wakeup; later ones get their own.
      let budget = this.count;
      while (budget-- > 0 && !this.closed) {
        const i = this.head;
        if (this.due[i]! > now) break;
        const frame = this.frames[i]!;
        this.frames[i] = undefined;
        this.head = (i + 1) & this.mask;
        this.count--;
        this.undeliveredBytes -= frame.length;
        const receiver = this.receiver;
        if (receiver === null) {
          stats.droppedNoReceiver++;
          continue;
        }
        stats.framesDelivered++;
        stats.bytesDelivered += frame.length;
        receiver(frame);
      }
    } finally {
      // Re-arm even if a receiver threw, so the pipe never stalls.
      this.draining = false;
      if (this.count > 0 && !this.closed && this.timer === null) this.arm();
    }
  }

  private grow(): void {
    const cap = this.due.length * 2;
    const frames = new Array<Uint8Array | undefined>(cap);
    const due = new Float64Array(cap);
    for (let i = 0; i < this.count; i++) {
      const j = (this.head + i) & this.mask;
      frames[i] = this.frames[j];
      due[i] = this.due[j]!;
    }
    this.frames = frames;
    this.due = due;
    this.mask = cap - 1;
    this.head = 0;
  }
}
