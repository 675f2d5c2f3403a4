import { IntrusiveHeap, type HeapItem } from './heap.js';

/**
 * A pending wakeup registered with a {@link Clock}. Opaque to callers except
 * for cancellation through the clock that made it.
 */
export interface ClockTimer {
  readonly at: number;
}

/**
 * Time as the stack sees it, in integer microseconds. The stack never reads
 * the wall clock itself: everything time-dependent goes through a Clock, so a
 * {@link VirtualClock} makes a run reproducible bit for bit.
 */
export interface Clock {
  /** Current time in microseconds (monotonic, integer). */
  now(): number;
  /**
   * Calls `fn` once, at or after `atUs`. A time at or before now means "as
   * soon as possible, but not synchronously" — callers rely on that to avoid
   * re-entering the stack from inside itself.
   */
  schedule(atUs: number, fn: () => void): ClockTimer;
  /** Cancels a wakeup; cancelling one that already ran is a no-op. */
  cancel(timer: ClockTimer): void;
}

interface RealTimer extends ClockTimer {
  handle: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | null;
  immediate: boolean;
}

/** Options for {@link RealClock}. */
export interface RealClockOptions {
  /** Unref Node timers so that a pending stack timer alone does not keep the process alive. */
  unref?: boolean;
}

/**
 * A clock on `performance.timeOrigin + performance.now()`: monotonic, with
 * microsecond resolution, and in Unix-epoch microseconds so that pcap
 * timestamps written from it are real dates.
 */
export class RealClock implements Clock {
  private readonly unref: boolean;
  constructor(options: RealClockOptions = {}) {
    this.unref = options.unref ?? false;
  }

  now(): number {
    return Math.floor((performance.timeOrigin + performance.now()) * 1000);
  }

  schedule(atUs: number, fn: () => void): ClockTimer {
    const delayUs = atUs - this.now();
    // Node timers have millisecond granularity (and a 1 ms floor): a wait
    // shorter than that runs on the next event-loop turn instead, which may
    // be up to a millisecond early but never adds a millisecond of latency.
    const t: RealTimer = { at: atUs, handle: null, immediate: delayUs < 1000 };
    const run = (): void => {
      t.handle = null;
      fn();
    };
    if (t.immediate) {
      const h = setImmediate(run);
      if (this.unref) h.unref();
      t.handle = h;
    } else {
      // Round up so that waits of a millisecond or more never end early.
      const h = setTimeout(run, Math.ceil(delayUs / 1000));
      if (this.unref) h.unref();
      t.handle = h;
    }
    return t;
  }

  cancel(timer: ClockTimer): void {
    const t = timer as RealTimer;
    if (t.handle === null) return;
    if (t.immediate) clearImmediate(t.handle as ReturnType<typeof setImmediate>);
    else clearTimeout(t.handle as ReturnType<typeof setTimeout>);
    t.handle = null;
  }
}

class VirtualEvent implements ClockTimer, HeapItem {
  heapIndex = -1;
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}
}

/** Limits for {@link VirtualClock.runUntilIdle} and friends. */
export interface RunLimits {
  /** Stop after this much virtual time has passed (µs). */
  maxUs?: number;
  /** Stop after this many callbacks (guards against timers that re-arm forever). */
  maxEvents?: number;
}

/**
 * A clock that only moves when a test moves it. Events due at the same time
 * run in the order they were scheduled, so runs are deterministic.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly events = new IntrusiveHeap<VirtualEvent>((a, b) =>
    a.at !== b.at ? a.at < b.at : a.seq < b.seq,
  );

  constructor(startUs = 0) {
    this.current = startUs;
  }

  now(): number {
    return this.current;
  }

  schedule(atUs: number, fn: () => void): ClockTimer {
    const ev = new VirtualEvent(Math.max(atUs, this.current), this.seq++, fn);
    this.events.push(ev);
    return ev;
  }

  cancel(timer: ClockTimer): void {
    this.events.remove(timer as VirtualEvent);
  }

  /** Number of wakeups waiting. */
  get pending(): number {
    return this.events.size;
  }

  /** Time of the next wakeup, or undefined if none. */
  nextEventAt(): number | undefined {
    return this.events.peek()?.at;
  }

  /** Moves time forward by `us`, running every event due on the way. */
  advance(us: number): void {
    this.advanceTo(this.current + us);
  }

  /** Moves time forward to `atUs`, running every event due on the way. */
  advanceTo(atUs: number): void {
    for (;;) {
      const next = this.events.peek();
      if (!next || next.at > atUs) break;
      this.events.pop();
      this.current = next.at;
      next.fn();
    }
    if (atUs > this.current) this.current = atUs;
  }

  /** Runs only the events due now (time does not move). */
  runDue(): void {
    this.advanceTo(this.current);
  }

  /**
   * Runs events in time order until none is left or a limit is hit. Returns
   * true when the clock went idle, false when a limit stopped it.
   */
  runUntilIdle(limits: RunLimits = {}): boolean {
    return this.run(null, limits) === 'idle';
  }

  /**
   * Runs events in time order until `done()` holds (checked before each
   * event), nothing is left, or a limit is hit. Returns `done()`.
   */
  runUntil(done: () => boolean, limits: RunLimits = {}): boolean {
    this.run(done, limits);
    return done();
  }

  private run(done: (() => boolean) | null, limits: RunLimits): 'done' | 'idle' | 'limit' {
    const endAt = limits.maxUs === undefined ? Infinity : this.current + limits.maxUs;
    let budget = limits.maxEvents ?? 10_000_000;
    for (;;) {
      if (done !== null && done()) return 'done';
      const next = this.events.peek();
      if (!next) return 'idle';
      if (next.at > endAt) {
        this.current = endAt;
        return 'limit';
      }
      if (budget-- <= 0) return 'limit';
      this.events.pop();
      this.current = next.at;
      next.fn();
    }
  }
}
