import type { StackContext } from '../core/context.js';
import { SocketError, type ErrnoCode } from '../core/errno.js';
import { Timer } from '../core/scheduler.js';

/**
 * The echo requests a stack's `ping` is waiting on, keyed by identifier and
 * sequence, each with its timeout on the stack's timers. Shared by ICMPv4
 * and ICMPv6, which differ only in what a reply looks like.
 */
export class PendingEchoes<R> {
  private readonly pending = new Map<number, { sentAt: number; timer: Timer; resolve: (r: R) => void; reject: (e: Error) => void }>();

  constructor(private readonly ctx: StackContext) {}

  /** The map key of an identifier/sequence pair. */
  static key(identifier: number, sequence: number): number {
    return (((identifier & 0xffff) << 16) | (sequence & 0xffff)) >>> 0;
  }

  /**
   * Registers a request and sends it with `send` (which returns 'ok' or the
   * errno the IP layer gave). Rejects with EALREADY when the same
   * identifier/sequence is outstanding, with the send error, or with
   * ETIMEDOUT after `timeoutUs`.
   */
  start(key: number, timeoutUs: number, send: () => 'ok' | ErrnoCode): Promise<R> {
    if (this.pending.has(key)) return Promise.reject(new SocketError('EALREADY', 'echo'));
    return new Promise<R>((resolve, reject) => {
      const timer = new Timer(() => {
        this.pending.delete(key);
        reject(new SocketError('ETIMEDOUT', 'echo'));
      }, 'echo');
      this.pending.set(key, { sentAt: this.ctx.clock.now(), timer, resolve, reject });
      const result = send();
      if (result !== 'ok') {
        this.pending.delete(key);
        reject(new SocketError(result, 'echo'));
        return;
      }
      this.ctx.timers.armIn(timer, timeoutUs);
    });
  }

  /** Settles the request `key` with the reply `make(rttUs)` builds; false when nobody waits for it. */
  complete(key: number, make: (rttUs: number) => R): boolean {
    const p = this.pending.get(key);
    if (!p) return false;
    this.pending.delete(key);
    this.ctx.timers.disarm(p.timer);
    p.resolve(make(this.ctx.clock.now() - p.sentAt));
    return true;
  }

  /** Rejects every outstanding request with ECANCELED (the stack closes). Idempotent. */
  close(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      this.ctx.timers.disarm(p.timer);
      p.reject(new SocketError('ECANCELED', 'echo'));
    }
  }
}
