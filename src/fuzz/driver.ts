import { OutputHub } from './output-hub.js';
import type { FuzzTarget } from './target.js';

/**
 * The fuzzer's hold on a target: every packet injected (fuzz traffic and
 * health probes alike) goes through here and is counted, since the
 * target's own counters must agree with that count; the target's output
 * goes to one {@link OutputHub}.
 */
export class Driver {
  readonly hub = new OutputHub();
  /** Packets handed to the target. */
  injected = 0;

  constructor(readonly target: FuzzTarget) {
    target.setOutput(this.hub.dispatch);
  }

  inject(p: Uint8Array): void {
    this.injected++;
    this.target.inject(p);
  }

  /** Lets time pass; awaits only when the target's time is real. */
  async advance(us: number): Promise<void> {
    const r = this.target.advance(us);
    if (r !== undefined) await r;
  }

  /**
   * Advances in `stepUs` steps until `done()` holds or `timeoutUs` has
   * passed on the target's clock; `each` runs before every step (to send
   * what a probe has queued). Returns `done()`.
   */
  async waitFor(done: () => boolean, timeoutUs: number, stepUs: number, each?: () => void): Promise<boolean> {
    const start = this.target.now();
    for (;;) {
      each?.();
      if (done()) return true;
      if (this.target.now() - start >= timeoutUs) return false;
      await this.advance(stepUs);
    }
  }
}
