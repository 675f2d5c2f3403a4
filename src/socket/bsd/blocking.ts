import type { StackContext } from '../../core/context.js';
import { ERRNO, type ErrnoCode, SocketError } from '../../core/errno.js';
import { Timer } from '../../core/scheduler.js';
import type { BsdSocket, Waiter } from './socket-base.js';
import { WOULD_BLOCK, type WouldBlock } from './types.js';

/** What one attempt of a blocking call produced: a value, a negative errno, or "not yet". */
export type Outcome<T> = { readonly ok: T } | number | WouldBlock;

/** Linux errno numbers → names (the first name wins: EAGAIN over EWOULDBLOCK, EOPNOTSUPP over ENOTSUP). */
const NAMES: ReadonlyMap<number, ErrnoCode> = (() => {
  const m = new Map<number, ErrnoCode>();
  for (const [name, n] of Object.entries(ERRNO) as [ErrnoCode, number][]) if (!m.has(n)) m.set(n, name);
  return m;
})();

/**
 * A SocketError for a negative errno from `sys`. Numbers core/errno.ts does
 * not name yet (ENOTTY, EDOM) become EINVAL with the number in the message.
 */
export function socketError(negErrno: number, syscall: string): SocketError {
  const code = NAMES.get(-negErrno);
  if (code !== undefined) return new SocketError(code, syscall);
  return new SocketError('EINVAL', syscall, `(errno ${-negErrno})`);
}

/** Rejection for an aborted wait: ECANCELED, with the signal's reason as `cause`. */
export function abortError(syscall: string, signal: AbortSignal): SocketError {
  const e = new SocketError('ECANCELED', syscall);
  (e as { cause?: unknown }).cause = signal.reason;
  return e;
}

/** How a blocking call waits. */
export interface BlockSpec<T> {
  readonly syscall: string;
  /** poll events that may let the call progress (POLLIN or POLLOUT). */
  readonly events: number;
  /** SO_RCVTIMEO / SO_SNDTIMEO in µs (Infinity: none). */
  readonly timeoutUs: number;
  readonly signal?: AbortSignal | undefined;
  /** One non-blocking pass of the call. */
  attempt(): Outcome<T>;
  /** The final outcome when the timeout expires and the call still cannot complete (partial progress or EAGAIN). */
  onTimeout(): Exclude<Outcome<T>, WouldBlock>;
  /** Cleanup when the wait ends without completing (timeout, abort, close). */
  onAbandon?(): void;
}

/**
 * Runs a call the POSIX way on top of `sys`: attempt; on WOULD_BLOCK park
 * on the socket until it is ready, then attempt again; give up on the
 * timeout (a Timer on the stack's scheduler, so it follows a virtual clock)
 * or the AbortSignal. Closing the socket wakes the waiter with POLLNVAL and
 * the Promise rejects with EBADF at once — what the retried call would see
 * on Linux, the descriptor being gone.
 */
export function block<T>(ctx: StackContext, sock: BsdSocket, spec: BlockSpec<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let waiter: Waiter | null = null;
    let timer: Timer | null = null;
    const signal = spec.signal;

    const finish = (): void => {
      done = true;
      if (waiter !== null) sock.removeWaiter(waiter);
      waiter = null;
      if (timer !== null && timer.armed) ctx.timers.disarm(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const settle = (out: Exclude<Outcome<T>, WouldBlock>): void => {
      finish();
      if (typeof out === 'number') reject(socketError(out, spec.syscall));
      else resolve(out.ok);
    };
    const run = (timedOut: boolean): void => {
      waiter = null;
      if (done) return;
      if (sock.closed) {
        spec.onAbandon?.();
        settle(-ERRNO.EBADF);
        return;
      }
      let out: Outcome<T>;
      try {
        out = spec.attempt();
      } catch (e) {
        finish();
        reject(e);
        return;
      }
      if (out === WOULD_BLOCK) {
        if (timedOut) {
          spec.onAbandon?.();
          settle(spec.onTimeout());
          return;
        }
        waiter = sock.addWaiter(spec.events, () => run(false));
        return;
      }
      settle(out);
    };
    function onAbort(): void {
      if (done) return;
      spec.onAbandon?.();
      finish();
      reject(abortError(spec.syscall, signal!));
    }

    if (signal?.aborted) {
      reject(abortError(spec.syscall, signal));
      return;
    }
    run(false);
    if (done) return;
    signal?.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(spec.timeoutUs)) {
      timer = new Timer(() => run(true), `${spec.syscall}-timeout`);
      ctx.timers.armIn(timer, Math.max(0, spec.timeoutUs));
    }
  });
}

/**
 * Waits until `ready()` holds, re-checking whenever one of `socks` reports
 * readiness for its events (poll/select). Resolves with `true` when ready,
 * `false` on timeout; rejects ECANCELED on abort.
 */
export function waitReady(
  ctx: StackContext,
  syscall: string,
  socks: readonly { readonly sock: BsdSocket; readonly events: number }[],
  ready: () => boolean,
  timeoutUs: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    if (ready()) {
      resolve(true);
      return;
    }
    if (timeoutUs === 0) {
      resolve(false);
      return;
    }
    if (signal?.aborted) {
      reject(abortError(syscall, signal));
      return;
    }
    let done = false;
    const waiters: { sock: BsdSocket; w: Waiter }[] = [];
    let timer: Timer | null = null;
    const unpark = (): void => {
      for (const { sock, w } of waiters) sock.removeWaiter(w);
      waiters.length = 0;
    };
    const finish = (): void => {
      done = true;
      unpark();
      if (timer !== null && timer.armed) ctx.timers.disarm(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const park = (): void => {
      for (const { sock, events } of socks) waiters.push({ sock, w: sock.addWaiter(events, wake) });
    };
    function wake(): void {
      if (done) return;
      unpark();
      if (ready()) {
        finish();
        resolve(true);
        return;
      }
      park();
    }
    function onAbort(): void {
      if (done) return;
      finish();
      reject(abortError(syscall, signal!));
    }
    park();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (Number.isFinite(timeoutUs) && timeoutUs > 0) {
      timer = new Timer(() => {
        if (done) return;
        const r = ready();
        finish();
        resolve(r);
      }, `${syscall}-timeout`);
      ctx.timers.armIn(timer, timeoutUs);
    }
  });
}
