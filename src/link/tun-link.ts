import { ERRNO } from '../core/errno.js';
import { parseCidr } from '../core/address.js';
import type { FrameReceiver, Link, LinkType } from './link.js';
import { loadTunNative, type TunNative, type TunWatcherHandle } from './tun-native.js';

/**
 * A Linux TUN (IP packets) or TAP (Ethernet frames) device as a {@link Link}.
 *
 * Receive path: the native watcher wakes on readability, drains up to
 * `maxBatch` frames with read() into one shared buffer and calls us once;
 * we hand the frames to the receiver one by one as views into that buffer
 * (valid only during the call, as the Link contract allows).
 *
 * Transmit path: by default frames sent during one JS turn are queued and
 * written by one native call from a microtask (`sendBatching: 'microtask'`),
 * so the N ACKs a stack produces while processing a batch of N frames cost
 * one crossing into C instead of N. Each frame is still its own write():
 * on a TUN descriptor one write() is one packet.
 *
 * A TUN/TAP device is lossy like a NIC: a full device queue (EAGAIN) or a
 * frame the kernel rejects is counted as a drop, never thrown.
 */

/** 'tun': IP packets (linkType 'ip'); 'tap': Ethernet frames (linkType 'ethernet'). */
export type TunMode = 'tun' | 'tap';

/** How frames passed to `send` reach the kernel. */
export type SendBatching = 'microtask' | 'none';

/**
 * 'shared': frames are views into one reused buffer (no allocation per frame).
 * 'owned': each frame is a fresh Buffer the receiver may keep.
 */
export type RxDelivery = 'shared' | 'owned';

/** Options common to opening and adopting. */
export interface TunLinkCommonOptions {
  /** Largest IP packet the device carries; must match what the kernel side is configured with. Default 1500. */
  mtu?: number;
  /**
   * TAP only: this link's own MAC (the stack's address on the wire). Default:
   * the kernel device's MAC with its last octet complemented, so the two ends
   * differ and the choice is reproducible. The kernel's MAC is `kernelMac`.
   */
  mac?: Uint8Array;
  /** Most frames read per wake-up (and most frames per batched write). Default 256. */
  maxBatch?: number;
  /** Size of the shared receive buffer in bytes. Default: room for maxBatch frames of mtu, at most 4 MiB. */
  rxBufferBytes?: number;
  /** Default 'microtask'. */
  sendBatching?: SendBatching;
  /** Default 'shared'. */
  rxDelivery?: RxDelivery;
  /** Called when the descriptor fails (e.g. the device was deleted). Default: a process warning. */
  onError?: (err: Error) => void;
  /** The addon to use (tests inject one); default: {@link loadTunNative}(). */
  native?: TunNative;
}

/** Options for {@link TunLink.open}. */
export interface TunLinkOpenOptions extends TunLinkCommonOptions {
  /** Default 'tun'. */
  mode?: TunMode;
  /** Device name, at most 15 bytes; '' or absent lets the kernel pick (tun0, tap0, ...). */
  name?: string;
  /** Attach with IFF_MULTI_QUEUE (several descriptors can then open the same name). */
  multiQueue?: boolean;
}

/** Interface settings applied by ioctl in the caller's own network namespace. */
export interface TunInterfaceConfig {
  mtu?: number;
  up?: boolean;
  /** CIDR strings, e.g. '192.0.2.1/24' or '2001:db8::1/64'. */
  addresses?: readonly string[];
}

/** Traffic counters of one link. */
export interface TunLinkStats {
  rxFrames: number;
  rxBytes: number;
  /** Wake-ups that delivered at least one frame (rxFrames / rxBatches = mean batch). */
  rxBatches: number;
  /** Frames read while no receiver was installed. */
  rxDropsNoReceiver: number;
  /** Descriptor failures reported by the watcher. */
  rxErrors: number;
  txFrames: number;
  txBytes: number;
  /** Native write calls (one per flushed batch, or per frame without batching). */
  txCalls: number;
  /** write() returned EAGAIN: the device's queue towards the kernel is full. */
  txDropsQueueFull: number;
  /** write() failed otherwise (EINVAL: the kernel rejected the frame; EIO: device down). */
  txDropsError: number;
  /** Frames longer than the MTU (plus the Ethernet header on TAP). */
  txDropsOversize: number;
  /** Frames sent after close(). */
  txDropsClosed: number;
}

const ETH_HEADER = 14;
const EAGAIN = ERRNO.EAGAIN;
const MAX_RX_BUFFER = 4 * 1024 * 1024;

function errnoName(n: number): string {
  for (const [name, value] of Object.entries(ERRNO)) if (value === n) return name;
  return n === 77 ? 'EBADFD' : `E${n}`;
}

/** The default MAC for our end of a TAP: the kernel's with the last octet complemented. */
function deriveMac(kernelMac: Uint8Array): Uint8Array {
  const mac = Uint8Array.from(kernelMac);
  mac[5] = ~mac[5]! & 0xff;
  // Locally administered, unicast (IEEE 802 §8.2.2).
  mac[0] = (mac[0]! | 0x02) & 0xfe;
  return mac;
}

function newStats(): TunLinkStats {
  return {
    rxFrames: 0, rxBytes: 0, rxBatches: 0, rxDropsNoReceiver: 0, rxErrors: 0,
    txFrames: 0, txBytes: 0, txCalls: 0, txDropsQueueFull: 0, txDropsError: 0, txDropsOversize: 0, txDropsClosed: 0,
  };
}

/** A TUN or TAP device as a Link. Create with {@link TunLink.open} or {@link TunLink.adopt}. */
export class TunLink implements Link {
  readonly name: string;
  readonly linkType: LinkType;
  readonly mtu: number;
  /** TAP: our own MAC. Undefined on TUN. */
  readonly mac?: Uint8Array;
  /** TAP: the MAC of the kernel's side (the device itself), read by SIOCGIFHWADDR. */
  readonly kernelMac?: Uint8Array;
  /** The non-blocking descriptor (for diagnostics; do not read or write it directly). */
  readonly fd: number;

  private readonly native: TunNative;
  private readonly maxBatch: number;
  private readonly maxFrame: number;
  private readonly batching: SendBatching;
  private readonly rxDelivery: RxDelivery;
  private readonly rxBuffer: ArrayBuffer;
  private readonly rxView: Uint8Array;
  private readonly rxLengths: Int32Array;
  private readonly txStatus: Int32Array;
  private readonly pending: Uint8Array[] = [];
  private readonly onError: ((err: Error) => void) | undefined;
  private readonly counters: TunLinkStats = newStats();
  private receiver: FrameReceiver | null = null;
  private watcher: TunWatcherHandle | null = null;
  private keepAlive = true;
  private closed = false;
  /** Set when the watcher reported a descriptor failure: reading is not restarted. */
  private failedErrno = 0;
  private readonly flushBound = (): void => this.flush();
  private readonly onBatchShared = (count: number): void => this.deliverShared(count);
  private readonly onBatchOwned = (count: number, frames?: Buffer[]): void => this.deliverOwned(count, frames);

  /**
   * Opens (creating if needed) a TUN/TAP device. Needs root or CAP_NET_ADMIN
   * in the namespace that owns /dev/net/tun. The descriptor is close-on-exec.
   * Throws the addon's error (with `code`: EPERM, EBUSY, ENOENT, EINVAL...).
   */
  static open(options: TunLinkOpenOptions = {}): TunLink {
    const native = options.native ?? loadTunNative();
    const mode = options.mode ?? 'tun';
    const { fd, name } = native.open(options.name ?? '', mode === 'tap', options.multiQueue ?? false);
    try {
      return new TunLink(native, fd, name, mode, options);
    } catch (err) {
      native.close(fd);
      throw err;
    }
  }

  /**
   * Takes over a descriptor opened elsewhere (e.g. inherited from a privileged
   * parent, `--tun-fd N`). TUN vs TAP and the name come from TUNGETIFF; the
   * link owns the descriptor from now on and closes it in close().
   */
  static adopt(fd: number, options: TunLinkCommonOptions = {}): TunLink {
    const native = options.native ?? loadTunNative();
    const info = native.adopt(fd);
    return new TunLink(native, fd, info.name, info.tap ? 'tap' : 'tun', options);
  }

  private constructor(native: TunNative, fd: number, name: string, mode: TunMode, options: TunLinkCommonOptions) {
    this.native = native;
    this.fd = fd;
    this.name = name;
    this.linkType = mode === 'tap' ? 'ethernet' : 'ip';
    this.mtu = options.mtu ?? 1500;
    if (!Number.isInteger(this.mtu) || this.mtu < 68 || this.mtu > 65535) {
      throw new RangeError(`TunLink: mtu ${this.mtu} is outside 68..65535`);
    }
    this.maxBatch = options.maxBatch ?? 256;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) throw new RangeError('TunLink: maxBatch must be >= 1');
    this.maxFrame = this.mtu + (mode === 'tap' ? ETH_HEADER : 0);
    this.batching = options.sendBatching ?? 'microtask';
    this.rxDelivery = options.rxDelivery ?? 'shared';
    this.onError = options.onError;
    if (mode === 'tap') {
      const kernelMac = Uint8Array.from(native.getMac(fd));
      if (options.mac !== undefined && options.mac.length !== 6) throw new RangeError('TunLink: mac must be 6 bytes');
      this.kernelMac = kernelMac;
      this.mac = options.mac !== undefined ? Uint8Array.from(options.mac) : deriveMac(kernelMac);
    }
    // Each read() needs MAX_FRAME bytes free (a short read truncates a packet),
    // so the buffer holds maxBatch typical frames plus one maximal frame.
    const wanted = options.rxBufferBytes ?? Math.min(MAX_RX_BUFFER, this.maxBatch * this.maxFrame + native.MAX_FRAME);
    const rxBytes = Math.max(wanted, native.MAX_FRAME);
    this.rxBuffer = new ArrayBuffer(this.rxDelivery === 'shared' ? rxBytes : 0);
    this.rxView = new Uint8Array(this.rxBuffer);
    this.rxLengths = new Int32Array(this.rxDelivery === 'shared' ? this.maxBatch : 0);
    this.txStatus = new Int32Array(this.maxBatch);
  }

  /** A copy of the counters. */
  stats(): TunLinkStats {
    return { ...this.counters };
  }

  /** Whether close() has been called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Installs the receiver. Reading starts with the first non-null receiver
   * (until then the kernel queues, then drops, what it sends); with a null
   * receiver frames are still drained and counted in rxDropsNoReceiver.
   */
  setReceiver(receiver: FrameReceiver | null): void {
    this.receiver = receiver;
    if (receiver !== null && this.watcher === null && !this.closed && this.failedErrno === 0) this.startWatching();
  }

  send(frame: Uint8Array): void {
    const c = this.counters;
    if (this.closed) {
      c.txDropsClosed++;
      return;
    }
    if (frame.length > this.maxFrame) {
      c.txDropsOversize++;
      return;
    }
    if (this.batching === 'none') {
      c.txCalls++;
      this.account(frame, this.native.write(this.fd, frame));
      return;
    }
    const n = this.pending.push(frame);
    if (n === 1) queueMicrotask(this.flushBound);
    else if (n >= this.maxBatch) this.flush();
  }

  /** Writes every queued frame now (normally done by a microtask). */
  flush(): void {
    const pending = this.pending;
    const n = pending.length;
    if (n === 0 || this.closed) return;
    this.counters.txCalls++;
    if (n === 1) {
      this.account(pending[0]!, this.native.write(this.fd, pending[0]!));
    } else {
      const sent = this.native.writeMany(this.fd, pending, n, this.txStatus);
      if (sent === n) {
        let bytes = 0;
        for (let i = 0; i < n; i++) bytes += pending[i]!.length;
        this.counters.txFrames += n;
        this.counters.txBytes += bytes;
      } else {
        for (let i = 0; i < n; i++) this.account(pending[i]!, this.txStatus[i]!);
      }
    }
    pending.length = 0;
  }

  /** Whether an open link keeps Node's event loop alive (like a listening socket). Default true. */
  ref(keepAlive = true): void {
    this.keepAlive = keepAlive;
    if (this.watcher !== null) this.native.ref(this.watcher, keepAlive);
  }

  /** Same as ref(false). */
  unref(): void {
    this.ref(false);
  }

  /**
   * Configures the device by ioctl in the namespace of the calling thread —
   * for a process that owns its namespace (no `ip netns`). Tests that move the
   * device into a namespace configure it there with `ip -n` instead (see netns.ts).
   * Addresses are added before bringing the link up.
   */
  configure(config: TunInterfaceConfig): void {
    if (config.mtu !== undefined) this.native.setMtu(this.name, config.mtu);
    for (const text of config.addresses ?? []) {
      const cidr = parseCidr(text);
      if (cidr === null) throw new RangeError(`TunLink.configure: bad address '${text}'`);
      if (cidr.family === 4) this.native.addAddress4(this.name, cidr.address, cidr.prefix);
      else this.native.addAddress6(this.name, cidr.address, cidr.prefix);
    }
    if (config.up !== undefined) this.native.setUp(this.name, config.up);
  }

  /** Writes what is queued, stops watching and closes the descriptor (a non-persistent device then disappears). */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.receiver = null;
    if (this.watcher !== null) {
      this.native.unwatch(this.watcher);
      this.watcher = null;
    }
    this.native.close(this.fd);
  }

  private startWatching(): void {
    this.watcher =
      this.rxDelivery === 'shared'
        ? this.native.watchShared(this.fd, this.rxBuffer, this.rxLengths, this.maxBatch, this.onBatchShared)
        : this.native.watchBuffers(this.fd, this.maxBatch, this.onBatchOwned);
    if (!this.keepAlive) this.native.ref(this.watcher, false);
  }

  private account(frame: Uint8Array, errno: number): void {
    const c = this.counters;
    if (errno === 0) {
      c.txFrames++;
      c.txBytes += frame.length;
    } else if (errno === EAGAIN) {
      c.txDropsQueueFull++;
    } else {
      c.txDropsError++;
    }
  }

  private deliverShared(count: number): void {
    if (count < 0) return this.failed(-count);
    const c = this.counters;
    const lengths = this.rxLengths;
    const view = this.rxView;
    c.rxBatches++;
    let off = 0;
    for (let i = 0; i < count; i++) {
      const len = lengths[i]!;
      c.rxFrames++;
      c.rxBytes += len;
      // Looked up per frame: the receiver may replace itself or close the link mid-batch.
      const r = this.receiver;
      if (r === null) c.rxDropsNoReceiver++;
      else r(view.subarray(off, off + len));
      off += len;
    }
  }

  private deliverOwned(count: number, frames?: Buffer[]): void {
    if (count < 0) return this.failed(-count);
    if (frames === undefined) return;
    const c = this.counters;
    c.rxBatches++;
    for (let i = 0; i < count; i++) {
      const f = frames[i]!;
      c.rxFrames++;
      c.rxBytes += f.length;
      const r = this.receiver;
      if (r === null) c.rxDropsNoReceiver++;
      else r(f);
    }
  }

  private failed(errno: number): void {
    this.counters.rxErrors++;
    this.failedErrno = errno;
    if (this.watcher !== null) {
      this.native.unwatch(this.watcher);
      this.watcher = null;
    }
    const code = errnoName(errno);
    const err = Object.assign(new Error(`TUN/TAP device ${this.name}: read failed with ${code}; the link no longer receives`), {
      code,
      errno: -errno,
      syscall: 'read',
    });
    if (this.onError !== undefined) this.onError(err);
    else process.emitWarning(err);
  }
}
