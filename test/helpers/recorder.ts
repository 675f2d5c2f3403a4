import { toHex } from '../../src/core/bytes.js';
import type { Clock } from '../../src/core/clock.js';
import { LinkDecorator, type Link } from '../../src/link/link.js';

/** Records every frame a stack transmits, with its time, exactly as a pcap tap would see it. */
export class Recorder extends LinkDecorator {
  readonly sent: { at: number; frame: Uint8Array }[] = [];

  constructor(
    inner: Link,
    private readonly clock: Clock,
  ) {
    super(inner);
  }

  override send(frame: Uint8Array): void {
    this.sent.push({ at: this.clock.now(), frame: frame.slice() });
    super.send(frame);
  }

  /** The frames sent so far. */
  frames(): Uint8Array[] {
    return this.sent.map((s) => s.frame);
  }

  /** The frames sent so far, as hex. */
  hex(): string[] {
    return this.sent.map((s) => toHex(s.frame));
  }

  clear(): void {
    this.sent.length = 0;
  }
}
