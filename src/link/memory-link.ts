import type { Clock } from '../core/clock.js';
import type { RandomSource } from '../core/random.js';
import { FramePipe, type PipeStats } from './frame-pipe.js';
import type { FrameReceiver, Link, LinkType } from './link.js';

/** Bytes of an Ethernet II header (destination, source, EtherType); no FCS on our links. */
const ETHERNET_HEADER_LEN = 14;

/** Options for {@link createMemoryPair}. */
export interface MemoryPairOptions {
  /** What a frame is (default 'ip'). */
  linkType?: LinkType;
  /** Largest IP packet carried (default 1500); Ethernet frames may be 14 bytes longer. */
  mtu?: number;
  /** Names are `${namePrefix}-a` and `${namePrefix}-b` (default 'mem'). */
  namePrefix?: string;
  /** One-way propagation delay in µs, each direction (default 0). */
  latencyUs?: number;
  /** Serialisation rate in bits/s, each direction (default: infinitely fast). */
  bandwidthBps?: number;
  /** Drop-tail limit on each direction's queue in bytes (default: unbounded). See {@link FramePipe}. */
  queueLimitBytes?: number;
  /** MACs of end a and end b on Ethernet pairs (default: generated). */
  macs?: readonly [Uint8Array, Uint8Array];
  /**
   * Source for generated MACs. Without it the MACs are the fixed locally
   * administered 02:00:00:00:00:01 (a) and 02:00:00:00:00:02 (b).
   */
  random?: RandomSource;
}

/**
 * One end of an in-memory wire. What it sends arrives at the other end's
 * receiver through the clock, never synchronously.
 */
export class MemoryLink implements Link {
  /** @internal Use {@link createMemoryPair}. */
  constructor(
    readonly name: string,
    readonly linkType: LinkType,
    readonly mtu: number,
    readonly mac: Uint8Array | undefined,
    private readonly tx: FramePipe,
    private readonly rx: FramePipe,
  ) {}

  /** Counters of what this end sent (and how much of it reached the peer). */
  get txStats(): PipeStats {
    return this.tx.stats;
  }

  /** Counters of what the peer sent towards this end. */
  get rxStats(): PipeStats {
    return this.rx.stats;
  }

  /** Frames this end sent that are not delivered yet (queued or in flight). */
  get txQueuedFrames(): number {
    return this.tx.queuedFrames;
  }

  /** Bytes this end sent that are not delivered yet (queued or in flight). */
  get txQueuedBytes(): number {
    return this.tx.queuedBytes;
  }

  send(frame: Uint8Array): void {
    this.tx.push(frame);
  }

  setReceiver(receiver: FrameReceiver | null): void {
    this.rx.receiver = receiver;
  }

  /** Closes the wire: nothing more is delivered in either direction. */
  close(): void {
    this.tx.close();
    this.rx.close();
  }
}

/**
 * Two links wired back to back, for connecting two stacks in one process.
 *
 * ```ts
 * const [a, b] = createMemoryPair(clock, { latencyUs: 500, bandwidthBps: 100e6 });
 * ```
 */
export function createMemoryPair(clock: Clock, options: MemoryPairOptions = {}): [MemoryLink, MemoryLink] {
  const linkType = options.linkType ?? 'ip';
  const mtu = options.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 1) throw new RangeError(`createMemoryPair: bad mtu ${mtu}`);
  const prefix = options.namePrefix ?? 'mem';
  const maxFrameBytes = linkType === 'ethernet' ? mtu + ETHERNET_HEADER_LEN : mtu;
  const pipeOptions = {
    maxFrameBytes,
    latencyUs: options.latencyUs ?? 0,
    bandwidthBps: options.bandwidthBps ?? 0,
    ...(options.queueLimitBytes !== undefined ? { queueLimitBytes: options.queueLimitBytes } : {}),
  };
  const ab = new FramePipe(clock, pipeOptions);
  const ba = new FramePipe(clock, pipeOptions);
  let macA: Uint8Array | undefined;
  let macB: Uint8Array | undefined;
  if (linkType === 'ethernet') {
    if (options.macs) {
      for (const m of options.macs) if (m.length !== 6) throw new RangeError('createMemoryPair: a MAC is 6 bytes');
      macA = options.macs[0].slice();
      macB = options.macs[1].slice();
    } else if (options.random) {
      macA = randomLocalMac(options.random);
      do macB = randomLocalMac(options.random);
      while (macA.every((v, i) => v === macB![i]));
    } else {
      macA = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
      macB = Uint8Array.of(0x02, 0, 0, 0, 0, 0x02);
    }
  }
  return [
    new MemoryLink(`${prefix}-a`, linkType, mtu, macA, ab, ba),
    new MemoryLink(`${prefix}-b`, linkType, mtu, macB, ba, ab),
  ];
}

/** A random unicast, locally administered MAC (IEEE 802: I/G bit clear, U/L bit set). */
function randomLocalMac(random: RandomSource): Uint8Array {
  const mac = new Uint8Array(6);
  random.fill(mac);
  mac[0] = (mac[0]! & 0xfc) | 0x02;
  return mac;
}
