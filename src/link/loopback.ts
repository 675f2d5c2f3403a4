import type { Clock } from '../core/clock.js';
import { FramePipe, type PipeStats } from './frame-pipe.js';
import type { FrameReceiver, Link } from './link.js';

/** Options for {@link LoopbackLink}. */
export interface LoopbackOptions {
  /** Default 'lo'. */
  name?: string;
  /** Default 65536, as Linux's `lo`. */
  mtu?: number;
}

/**
 * A link whose every sent frame comes back to its own receiver (an 'ip' link,
 * like Linux's `lo`). Delivery goes through the clock, never inside `send()`,
 * so a stack answering its own packet from its receive handler does not
 * re-enter itself; frames sent in one turn come back together in the next.
 */
export class LoopbackLink implements Link {
  readonly name: string;
  readonly linkType = 'ip' as const;
  readonly mtu: number;
  private readonly pipe: FramePipe;

  constructor(clock: Clock, options: LoopbackOptions = {}) {
    this.name = options.name ?? 'lo';
    this.mtu = options.mtu ?? 65536;
    if (!Number.isInteger(this.mtu) || this.mtu < 1) throw new RangeError(`LoopbackLink: bad mtu ${this.mtu}`);
    this.pipe = new FramePipe(clock, { maxFrameBytes: this.mtu });
  }

  /** Counters (sent = looped, delivered = handed back to the receiver). */
  get stats(): PipeStats {
    return this.pipe.stats;
  }

  send(frame: Uint8Array): void {
    this.pipe.push(frame);
  }

  setReceiver(receiver: FrameReceiver | null): void {
    this.pipe.receiver = receiver;
  }

  close(): void {
    this.pipe.close();
  }
}
