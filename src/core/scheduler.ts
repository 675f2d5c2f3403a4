import type { Clock, ClockTimer } from './clock.js';
import { IntrusiveHeap, type HeapItem } from './heap.js';

/**
 * A re-armable timer owned by a {@link TimerScheduler}. Protocol code keeps
 * one Timer object per purpose (e.g. a connection's retransmission timer) and
 * re-arms it; arming never allocates.
 */
export class Timer implements HeapItem {
  heapIndex = -1;
  /** Absolute deadline in µs, or -1 while disarmed. */
  deadline = -1;
  /** Tie-breaker so timers due together fire in arming order. */
  seq = 0;

  constructor(
    readonly fn: () => void,
    /** A label for debugging (e.g. "rto", "delack"). */
    readonly name = 'timer',
  ) {}

  get armed(): boolean {
    return this.heapIndex !== -1;
  }
}

/**
 * One scheduler per stack: every protocol timer lives in one binary heap, and
 * only the earliest deadline is registered with the clock. This avoids one
 * `setTimeout` per connection (design §2).
 */
export class TimerScheduler {
  private readonly heap = new IntrusiveHeap<Timer>((a, b) =>
    a.deadline !== b.deadline ? a.deadline < b.deadline : a.seq < b.seq,
  );
  private wakeup: ClockTimer | null = null;
  private wakeupAt = Infinity;
  private seq = 0;
  private closed = false;
  private readonly onWake = (): void => this.fire();

  constructor(readonly clock: Clock) {}

  /** Number of armed timers. */
  get size(): number {
    return this.heap.size;
  }

  /** Arms (or re-arms) `timer` to fire at absolute time `atUs`. */
  arm(timer: Timer, atUs: number): void {
    if (this.closed) return;
    timer.deadline = atUs;
    timer.seq = this.seq++;
    if (timer.heapIndex === -1) this.heap.push(timer);
    else this.heap.update(timer);
    this.reschedule();
  }

  /** Arms `timer` to fire `delayUs` from now. */
  armIn(timer: Timer, delayUs: number): void {
    this.arm(timer, this.clock.now() + delayUs);
  }

  /** Disarms `timer`; a no-op if it is not armed. */
  disarm(timer: Timer): void {
    if (this.heap.remove(timer)) timer.deadline = -1;
    // The clock wakeup stays; when it fires early it simply re-registers.
  }

  /** Disarms every timer and releases the clock wakeup. */
  close(): void {
    this.closed = true;
    for (const t of this.heap.clear()) t.deadline = -1;
    if (this.wakeup) this.clock.cancel(this.wakeup);
    this.wakeup = null;
    this.wakeupAt = Infinity;
  }

  private reschedule(): void {
    const top = this.heap.peek();
    const at = top ? top.deadline : Infinity;
    if (at >= this.wakeupAt) return; // an earlier (or equal) wakeup is already registered
    if (this.wakeup) this.clock.cancel(this.wakeup);
    this.wakeupAt = at;
    this.wakeup = at === Infinity ? null : this.clock.schedule(at, this.onWake);
  }

  private fire(): void {
    this.wakeup = null;
    this.wakeupAt = Infinity;
    const now = this.clock.now();
    // Run what is due now. A callback may arm new timers due now; they run in
    // this loop too, bounded so that a buggy zero-delay timer cannot hang us.
    let budget = 100_000;
    for (;;) {
      const top = this.heap.peek();
      if (!top || top.deadline > now || budget-- <= 0) break;
      this.heap.pop();
      top.deadline = -1;
      top.fn();
    }
    if (!this.closed) this.reschedule();
  }
}
