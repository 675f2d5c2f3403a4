import { LinkDecorator, type Link } from './link.js';
import { pcapLinkTypeFor } from './pcap-format.js';
import type { PcapWriter } from './pcap-writer.js';

/** Which traffic a {@link PcapTap} records. */
export interface PcapTapOptions {
  /** Record frames sent through the link (default true). */
  tx?: boolean;
  /** Record frames received from the link (default true). */
  rx?: boolean;
}

/**
 * Records every frame crossing a link into a {@link PcapWriter}, stamped
 * with the writer's clock, and passes it on unchanged (the writer copies the
 * bytes, so ownership rules of {@link Link} are untouched). Sent frames are
 * recorded when handed to the link, received ones when they come up from it.
 *
 * ```ts
 * const link = new PcapTap(tun, new PcapWriter({ clock, linkType: tun.linkType, path: 'run.pcap' }));
 * ```
 */
export class PcapTap extends LinkDecorator {
  private readonly tx: boolean;
  private readonly rx: boolean;

  constructor(
    inner: Link,
    readonly writer: PcapWriter,
    options: PcapTapOptions = {},
  ) {
    super(inner);
    if (writer.pcapLinkType !== pcapLinkTypeFor(inner.linkType)) {
      throw new Error(`PcapTap: writer LINKTYPE ${writer.pcapLinkType} does not fit ${inner.linkType} link ${inner.name}`);
    }
    this.tx = options.tx ?? true;
    this.rx = options.rx ?? true;
  }

  override send(frame: Uint8Array): void {
    if (this.tx) this.writer.write(frame);
    this.inner.send(frame);
  }

  /** Flushes the writer (which stays open: it may be shared) and closes the link. */
  override close(): void {
    this.writer.flush();
    this.inner.close();
  }

  protected override deliver(frame: Uint8Array): void {
    if (this.rx) this.writer.write(frame);
    this.receiver?.(frame);
  }
}
