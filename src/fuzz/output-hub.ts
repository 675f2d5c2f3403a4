import type { OutputHandler } from './target.js';

/**
 * Fans the target's output out to whoever listens: the generator (its TCP
 * sessions track the target's answers) and, during a health check, the
 * probes. A plain array walked per packet: there are only ever a few.
 */
export class OutputHub {
  private readonly handlers: OutputHandler[] = [];
  /** Packets the target sent. */
  packets = 0;
  /** The function to install as the target's output handler. */
  readonly dispatch: OutputHandler = (p) => {
    this.packets++;
    const hs = this.handlers;
    for (let i = 0; i < hs.length; i++) hs[i]!(p);
  };

  add(h: OutputHandler): void {
    this.handlers.push(h);
  }

  remove(h: OutputHandler): void {
    const i = this.handlers.indexOf(h);
    if (i >= 0) this.handlers.splice(i, 1);
  }
}
