import type { ClockTimer, VirtualClock } from '../core/clock.js';
import type { WaitHandle } from '../socket/bsd/sys.js';
import { WOULD_BLOCK } from '../socket/bsd/types.js';
import type { SyscallAction } from './ast.js';
import { ScriptFailure, ScriptSkip } from './errors.js';
import { secs } from './render.js';
import { ArgError, Unsupported } from './syscall-args.js';
import { prepareCall, type Call, type SyscallHost } from './syscalls.js';
import { blockingReturnUs, toleranceUs, type EventTimingPlan, type TimeWindow, type TimingConfig } from './timing.js';

/**
 * Syscall events of a run (packetdrill run_system_call.c), including
 * blocking ones: a `...E` call that would sleep is retried whenever its
 * socket becomes ready (BsdSys `wait`), while later events go on, and its
 * result and return time are checked afterwards, when packetdrill's syscall
 * thread would get the interpreter's lock: while the interpreter waits for
 * an event's time, or at the start of the next event (never in the middle
 * of an outbound sniff, which holds the lock). Only one blocking call may
 * be in flight.
 */

/** What syscall events need from the run. */
export interface SyscallEventHost {
  readonly clock: VirtualClock;
  readonly calls: SyscallHost;
  readonly timing: TimingConfig;
  readonly trace: ((line: string) => void) | null;
  /** Script time now. */
  now(): number;
  /** Advances to an event's time and checks it is not late (run.c wait_for_event). */
  waitForEvent(line: number, plan: EventTimingPlan, win: TimeWindow, tol: number, check: boolean, what: string): void;
  /** Runs the clock until `done()` or script time `limitUs`; false when it gave up. */
  runClockUntil(limitUs: number, done: () => boolean, line: number): boolean;
}

/** A blocking (`...E`) syscall in flight. */
interface BlockingCall {
  readonly call: Call;
  readonly line: number;
  readonly startUs: number;
  readonly endUs: number;
  handles: WaitHandle[];
  timer: ClockTimer | null;
  /** The final result (or what the retry threw) and when it came. */
  outcome: { result: number; atUs: number; error?: unknown } | null;
}

/** How long the end of a script (or a second blocking call) waits for a blocking call: packetdrill's 1 s. */
const BLOCKING_DRAIN_US = 1_000_000;

/** Runs the syscall events of one run and tracks its blocking call. */
export class SyscallEvents {
  private blocking: BlockingCall | null = null;

  constructor(private readonly h: SyscallEventHost) {}

  /** Runs a syscall line. `anchor` is the event's anchor (for the `...E` return time). */
  run(line: number, a: SyscallAction, plan: EventTimingPlan, win: TimeWindow, anchor: number, tol: number, check: boolean): void {
    const h = this.h;
    const endUs = blockingReturnUs(plan, anchor);
    if (endUs !== null && this.blocking !== null) {
      // enqueue_system_call: wait (up to 1 s) for the call in flight.
      const b = this.blocking;
      h.runClockUntil(h.now() + BLOCKING_DRAIN_US, () => b.outcome !== null, line);
      this.settle();
      if (this.blocking !== null) throw new ScriptFailure(line, 'blocking system call while another blocking system call is already in progress');
    }
    h.waitForEvent(line, plan, win, tol, check, 'system call start');
    let call: Call;
    let r: number | typeof WOULD_BLOCK;
    try {
      call = prepareCall(a, h.calls);
      r = call.attempt();
    } catch (e) {
      throw callError(line, a.name, e);
    }
    if (r !== WOULD_BLOCK) {
      complete(line, call, r);
      if (endUs !== null) this.checkReturnTime(line, win.startUs, endUs, h.now());
      h.clock.runDue();
      return;
    }
    if (endUs === null) {
      throw new ScriptFailure(
        line,
        `runtime error in ${a.name} call: the call would block, and the script does not expect it to (write it as a blocking call: +t...end)`,
      );
    }
    const b: BlockingCall = { call, line, startUs: win.startUs, endUs, handles: [], timer: null, outcome: null };
    this.blocking = b;
    this.armWaits(b);
    if (call.timeoutUs !== null) {
      b.timer = h.clock.schedule(h.clock.now() + call.timeoutUs, () => {
        b.timer = null;
        if (b.outcome !== null) return;
        this.cancelWaits(b);
        b.outcome = { result: call.timeoutResult(), atUs: h.now() };
      });
    }
    h.trace?.(`${secs(h.now())} line ${line}: ${a.name}() blocks`);
  }

  /** Checks a blocking call that has returned: its result, then its return time. */
  settle(): void {
    const b = this.blocking;
    if (b === null || b.outcome === null) return;
    this.blocking = null;
    if (b.outcome.error !== undefined) throw callError(b.line, b.call.name, b.outcome.error);
    complete(b.line, b.call, b.outcome.result);
    this.checkReturnTime(b.line, b.startUs, b.endUs, b.outcome.atUs);
  }

  /** At the end of the script a blocking call gets up to 1 s to return (syscalls_free). */
  finish(): void {
    const b = this.blocking;
    if (b === null) return;
    this.h.runClockUntil(this.h.now() + BLOCKING_DRAIN_US, () => b.outcome !== null, b.line);
    if (b.outcome === null) throw new ScriptFailure(b.line, 'runtime error: exiting while a blocking system call is in progress');
    this.settle();
  }

  /** Drops the call in flight (the run is over). */
  dispose(): void {
    if (this.blocking !== null) this.cancelWaits(this.blocking);
    this.blocking = null;
  }

  private checkReturnTime(line: number, startUs: number, endUs: number, actualUs: number): void {
    // The dynamic tolerance of a blocking call counts from its start (run_system_call.c).
    const tol = toleranceUs(this.h.timing, endUs, startUs);
    if (actualUs < endUs - tol || actualUs > endUs + tol) {
      throw new ScriptFailure(
        line,
        `timing error: expected system call return at ${secs(endUs)} sec but happened at ${secs(actualUs)} sec; tolerance ${secs(tol)} sec`,
      );
    }
  }

  private armWaits(b: BlockingCall): void {
    const h = this.h;
    for (const [fd, events] of b.call.waits) {
      const w = h.calls.sys.wait(fd, events, () => this.retry(b));
      if (typeof w === 'number') {
        // The descriptor is gone: the retry reports the error.
        h.clock.schedule(h.clock.now(), () => this.retry(b));
        continue;
      }
      b.handles.push(w);
    }
  }

  private cancelWaits(b: BlockingCall): void {
    for (const w of b.handles) w.cancel();
    b.handles = [];
    if (b.timer !== null) {
      this.h.clock.cancel(b.timer);
      b.timer = null;
    }
  }

  /** A readiness wakeup of the blocking call: try again; record the outcome once it returns. */
  private retry(b: BlockingCall): void {
    if (b.outcome !== null || this.blocking !== b) return;
    for (const w of b.handles) w.cancel();
    b.handles = [];
    let r: number | typeof WOULD_BLOCK;
    try {
      r = b.call.attempt();
    } catch (e) {
      this.cancelWaits(b);
      b.outcome = { result: 0, atUs: this.h.now(), error: e };
      return;
    }
    if (r === WOULD_BLOCK) {
      this.armWaits(b);
      return;
    }
    this.cancelWaits(b);
    b.outcome = { result: r, atUs: this.h.now() };
    this.h.trace?.(`${secs(this.h.now())} line ${b.line}: blocking ${b.call.name}() returned ${r}`);
  }
}

/** An exception from argument handling, as the run reports it. */
function callError(line: number, name: string, e: unknown): Error {
  if (e instanceof ArgError) return new ScriptFailure(line, `runtime error in ${name} call: ${e.message}`);
  if (e instanceof Unsupported) return new ScriptSkip(`line ${line}: ${e.message}`);
  return e instanceof Error ? e : new Error(String(e));
}

/** Checks a call's final result against the script. */
function complete(line: number, call: Call, result: number): void {
  let err: string | null;
  try {
    err = call.complete(result);
  } catch (e) {
    throw callError(line, call.name, e);
  }
  if (err !== null) throw new ScriptFailure(line, `runtime error in ${call.name} call: ${err}`);
}
