import { Timer } from '../core/scheduler.js';
import type { TcpControlBlock } from './tcb.js';
import { Notify } from './host.js';
import { TcpState } from './state.js';

/**
 * How a lingering close (SO_LINGER on, time > 0) ended: `'closed'` when the
 * close completed in time (our FIN acknowledged, or the connection reset or
 * timed out), `'timeout'` when the linger time ran out first.
 */
export type LingerResult = 'closed' | 'timeout';

/** A close(2) waiting under SO_LINGER: created only while one waits. */
export interface LingerWait {
  /** Callers waiting (a second close while one waits joins it). */
  readonly waiters: Array<(result: LingerResult) => void>;
  readonly timer: Timer;
  result: LingerResult | null;
}

/**
 * States in which close(2) with SO_LINGER keeps waiting: our FIN is not yet
 * acknowledged (Linux sk_stream_closing: FIN-WAIT-1, CLOSING, LAST-ACK).
 */
export function lingerKeepsWaiting(s: TcpState): boolean {
  return s === TcpState.FIN_WAIT_1 || s === TcpState.CLOSING || s === TcpState.LAST_ACK;
}

/**
 * Starts waiting for a close that was just initiated (Linux
 * sk_stream_wait_close): `done` runs — after the stack unwinds, like every
 * notification — once the state leaves FIN-WAIT-1/CLOSING/LAST-ACK, or with
 * 'timeout' after `timeoutUs`. When the close already completed (or never
 * needed to wait) it runs with 'closed' at once.
 *
 * Linux, not BSD: when the linger time runs out, close() just returns and
 * the connection carries on as an orphan (queued data and FIN keep being
 * retransmitted; no RST is sent — checked against Linux 6.x: a blocked
 * close with 1 s linger returns after 1 s and leaves the socket in
 * FIN-WAIT-1 with its data queued).
 */
export function startLinger(c: TcpControlBlock, timeoutUs: number, done: (result: LingerResult) => void): void {
  if (c.linger !== null) {
    c.linger.waiters.push(done);
    return;
  }
  const timer = new Timer(() => onLingerTimeout(c), 'linger');
  const w: LingerWait = { waiters: [done], timer, result: null };
  c.linger = w;
  if (!lingerKeepsWaiting(c.state) || timeoutUs <= 0) {
    finishLinger(c, 'closed');
    return;
  }
  c.host.ctx.timers.armIn(timer, timeoutUs);
}

/** Ends the wait with `result` (the callback itself runs from the notification queue). */
export function finishLinger(c: TcpControlBlock, result: LingerResult): void {
  const w = c.linger;
  if (w === null || w.result !== null) return;
  w.result = result;
  if (w.timer.armed) c.host.ctx.timers.disarm(w.timer);
  c.host.notify(c, Notify.LINGER);
}

/** Called from the notification queue: runs the waiter's callback once. */
export function deliverLinger(c: TcpControlBlock): void {
  const w = c.linger;
  if (w === null || w.result === null) return;
  c.linger = null;
  for (const done of w.waiters) done(w.result);
}

function onLingerTimeout(c: TcpControlBlock): void {
  c.host.enter();
  try {
    finishLinger(c, 'timeout');
  } finally {
    c.host.leave();
  }
}
