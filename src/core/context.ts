import type { Clock } from './clock.js';
import type { Counters } from './counters.js';
import type { RandomSource } from './random.js';
import type { TimerScheduler } from './scheduler.js';
import type { Tracer } from './trace.js';

/**
 * What every protocol layer of one stack shares: its clock, its timers, its
 * randomness, its counters and its tracer. One context per stack, passed
 * explicitly — no module-level state, so stacks in one process never meet.
 */
export interface StackContext {
  /** A short unique name for this stack (appears in traces and pcap comments). */
  readonly id: string;
  readonly clock: Clock;
  readonly timers: TimerScheduler;
  readonly random: RandomSource;
  readonly counters: Counters;
  readonly trace: Tracer;
}
