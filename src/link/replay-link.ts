import type { IPv4Address, IPv6Address } from '../core/address.js';
import { readU16, readU32 } from '../core/bytes.js';
import type { Clock, ClockTimer } from '../core/clock.js';
import type { FrameReceiver, Link, LinkType } from './link.js';
import { linkTypeFromPcap, type PcapPacket } from './pcap-format.js';

/** A recorded packet with its position in the capture and its offset from the capture's time base. */
export interface ReplayPacket {
  /** Index in the capture. */
  readonly index: number;
  /** Recorded time minus the time base, µs. */
  readonly relativeUs: number;
  readonly data: Uint8Array;
}

/** A frame the stack sent through the replay link. */
export interface SentFrame {
  /** Clock time of the send, µs. */
  readonly timeUs: number;
  /** Send time minus the replay's start time, comparable with {@link ReplayPacket.relativeUs}. */
  readonly relativeUs: number;
  readonly data: Uint8Array;
}

/** Options for {@link ReplayLink}. */
export interface ReplayLinkOptions {
  clock: Clock;
  /** The recording: a decoded capture, or packets with a link type. */
  capture: { readonly linkType: LinkType | number; readonly packets: readonly PcapPacket[] };
  /**
   * Which recorded packets are fed to the stack; the others are what the
   * stack is expected to send ({@link ReplayLink.expectedOutbound}). Default:
   * all are inbound. See {@link destinedTo}.
   */
  isInbound?: (data: Uint8Array, index: number) => boolean;
  /** Recorded time that maps to the start time (default: the first packet's). */
  timeBaseUs?: number;
  /** Default 'replay'. */
  name?: string;
  /** Default 1500. */
  mtu?: number;
  /** The stack's MAC on Ethernet captures. */
  mac?: Uint8Array;
}

/**
 * A link that plays a capture's inbound packets to its receiver at their
 * recorded times, counted from {@link start}, and records what is sent
 * through it, so a test can compare the stack's output with the recording.
 *
 * Under a VirtualClock a test advances time and each packet arrives exactly
 * when it was recorded (relative to the start). One clock wakeup is pending
 * at a time; packets recorded at the same instant arrive in capture order in
 * one wakeup. Each delivery hands the receiver a fresh copy, so a stack that
 * modifies frames in place cannot change the recording.
 */
export class ReplayLink implements Link {
  readonly name: string;
  readonly linkType: LinkType;
  readonly mtu: number;
  readonly mac: Uint8Array | undefined;
  /** The packets fed to the receiver, in order. */
  readonly inbound: readonly ReplayPacket[];
  /** The recorded packets the stack is expected to send, in order. */
  readonly expectedOutbound: readonly ReplayPacket[];
  /** Everything sent through the link so far. */
  readonly sent: SentFrame[] = [];

  private readonly clock: Clock;
  private receiver: FrameReceiver | null = null;
  private next = 0;
  private startUs = 0;
  private started = false;
  private closed = false;
  private timer: ClockTimer | null = null;
  private undeliverable = 0;
  private readonly wake = (): void => this.deliverDue();

  constructor(options: ReplayLinkOptions) {
    const { capture } = options;
    const lt = typeof capture.linkType === 'number' ? linkTypeFromPcap(capture.linkType) : capture.linkType;
    if (lt === undefined) throw new Error(`ReplayLink: cannot replay LINKTYPE ${String(capture.linkType)}`);
    this.clock = options.clock;
    this.linkType = lt;
    this.name = options.name ?? 'replay';
    this.mtu = options.mtu ?? 1500;
    this.mac = options.mac;
    const packets = capture.packets;
    const base = options.timeBaseUs ?? (packets.length > 0 ? packets[0]!.timeUs : 0);
    const isInbound = options.isInbound ?? (() => true);
    const inbound: ReplayPacket[] = [];
    const outbound: ReplayPacket[] = [];
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      const rp: ReplayPacket = { index: i, relativeUs: p.timeUs - base, data: p.data };
      (isInbound(p.data, i) ? inbound : outbound).push(rp);
    }
    // Captures are written in time order, but a merged or hand-made one may
    // not be: deliver by time, keeping capture order among equal times.
    inbound.sort((a, b) => a.relativeUs - b.relativeUs || a.index - b.index);
    this.inbound = inbound;
    this.expectedOutbound = outbound;
  }

  /** Inbound packets handed to the receiver so far (including ones dropped for want of a receiver). */
  get deliveredCount(): number {
    return this.next;
  }

  /** Inbound packets that came due while no receiver was installed. */
  get undeliverableCount(): number {
    return this.undeliverable;
  }

  /** True once every inbound packet has come due. */
  get finished(): boolean {
    return this.next >= this.inbound.length;
  }

  /** The clock time that recorded time `timeBaseUs` maps to (valid after {@link start}). */
  get startTimeUs(): number {
    return this.startUs;
  }

  /**
   * Starts the playback: recorded time `timeBaseUs` becomes clock time
   * `atUs` (default now). Packets due at or before now arrive on the next
   * clock turn, never inside this call. Throws if already started.
   */
  start(atUs: number = this.clock.now()): void {
    if (this.started) throw new Error('ReplayLink.start: already started');
    this.started = true;
    this.startUs = atUs;
    this.arm();
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    const now = this.clock.now();
    this.sent.push({ timeUs: now, relativeUs: now - this.startUs, data: frame });
  }

  setReceiver(receiver: FrameReceiver | null): void {
    this.receiver = receiver;
  }

  /** Stops the playback; later sends are not recorded. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) {
      this.clock.cancel(this.timer);
      this.timer = null;
    }
  }

  private arm(): void {
    if (this.closed || this.next >= this.inbound.length) return;
    this.timer = this.clock.schedule(this.startUs + this.inbound[this.next]!.relativeUs, this.wake);
  }

  private deliverDue(): void {
    this.timer = null;
    const now = this.clock.now();
    try {
      while (!this.closed && this.next < this.inbound.length) {
        const p = this.inbound[this.next]!;
        if (this.startUs + p.relativeUs > now) break;
        this.next++;
        const r = this.receiver;
        if (r === null) this.undeliverable++;
        else r(p.data.slice());
      }
    } finally {
      this.arm();
    }
  }
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERNET_HEADER_LEN = 14;
/** IPv4 destination address offset (RFC 791 §3.1). */
const IPV4_DST = 16;
/** IPv6 destination address offset (RFC 8200 §3). */
const IPV6_DST = 24;

/**
 * A predicate for {@link ReplayLinkOptions.isInbound}: "the packet's IP
 * destination is `address`" (the stack's address, so packets the peer sent to
 * it are replayed and the stack's own are expected output). Never throws on
 * short or non-IP frames (they count as not inbound).
 */
export function destinedTo(
  address: IPv4Address | IPv6Address,
  linkType: LinkType = 'ip',
): (data: Uint8Array) => boolean {
  return (data) => {
    let o = 0;
    if (linkType === 'ethernet') {
      if (data.length < ETHERNET_HEADER_LEN) return false;
      const et = readU16(data, 12);
      if (et !== ETHERTYPE_IPV4 && et !== ETHERTYPE_IPV6) return false;
      o = ETHERNET_HEADER_LEN;
    }
    if (data.length <= o) return false;
    const version = data[o]! >>> 4;
    if (typeof address === 'number') {
      return version === 4 && data.length >= o + IPV4_DST + 4 && readU32(data, o + IPV4_DST) === address;
    }
    if (version !== 6 || data.length < o + IPV6_DST + 16) return false;
    for (let i = 0; i < 16; i++) if (data[o + IPV6_DST + i] !== address[i]) return false;
    return true;
  };
}
