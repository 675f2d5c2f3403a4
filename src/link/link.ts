/**
 * The one small interface every medium implements, and every decorator (pcap
 * tap, fault injector, tracer) both consumes and provides.
 *
 * A frame is whatever the medium carries: an IP packet on an `ip` link (TUN,
 * loopback, in-memory), an Ethernet frame on an `ethernet` link (TAP).
 */
export type LinkType = 'ip' | 'ethernet';

/** Receives one inbound frame. The frame may be a view into a reused buffer only until the call returns. */
export type FrameReceiver = (frame: Uint8Array) => void;

/** A network medium as the stack sees it. */
export interface Link {
  /** A short name for logs and pcap comments (e.g. "tun0", "mem-a"). */
  readonly name: string;
  /** What a frame is on this link. */
  readonly linkType: LinkType;
  /** Largest IP packet the link carries (for Ethernet, excluding the 14-byte header). */
  readonly mtu: number;
  /** The link's own hardware address (6 bytes) on Ethernet links. */
  readonly mac?: Uint8Array;
  /**
   * Transmits one frame. Never throws for a network reason: a frame the link
   * cannot carry is dropped (and counted by the link). The link takes
   * ownership; the caller must not modify `frame` afterwards.
   */
  send(frame: Uint8Array): void;
  /** Installs (or removes, with null) the handler for inbound frames. */
  setReceiver(receiver: FrameReceiver | null): void;
  /** Releases the medium; later sends are dropped silently. */
  close(): void;
}

/**
 * Base for decorators: forwards everything to an inner link. Subclasses
 * override `send` and/or `deliver` to observe or alter traffic.
 */
export abstract class LinkDecorator implements Link {
  protected receiver: FrameReceiver | null = null;

  constructor(protected readonly inner: Link) {
    inner.setReceiver((frame) => this.deliver(frame));
  }

  get name(): string {
    return this.inner.name;
  }
  get linkType(): LinkType {
    return this.inner.linkType;
  }
  get mtu(): number {
    return this.inner.mtu;
  }
  get mac(): Uint8Array | undefined {
    return this.inner.mac;
  }

  send(frame: Uint8Array): void {
    this.inner.send(frame);
  }

  setReceiver(receiver: FrameReceiver | null): void {
    this.receiver = receiver;
  }

  close(): void {
    this.inner.close();
  }

  /** Passes an inbound frame up; subclasses call this after their own work. */
  protected deliver(frame: Uint8Array): void {
    this.receiver?.(frame);
  }
}
