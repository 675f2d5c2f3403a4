import type { Clock } from '../../../../src/core/clock.js';
import type { StackContext } from '../../../../src/core/context.js';
import { createCounters } from '../../../../src/core/counters.js';
import type { PacketBuffer } from '../../../../src/core/packet-buffer.js';
import { SeededRandom } from '../../../../src/core/random.js';
import { TimerScheduler } from '../../../../src/core/scheduler.js';
import { Tracer } from '../../../../src/core/trace.js';
import { addrEqual } from '../../../../src/tcp/demux.js';
import type {
  IcmpErrorHandler, IcmpErrorReport, InboundIp, IpAddress, IpLayer, IpSendOptions, IpSendResult, ProtocolHandler, RouteResult,
} from '../../../../src/ip/types.js';

/** A segment the layer under test sent. */
export interface SentPacket {
  time: number;
  src: IpAddress;
  dst: IpAddress;
  bytes: Uint8Array;
}

/**
 * A test-only IpLayer: one IPv4 address, every destination on-link with a
 * fixed MTU. It records what the transport sends and can either hand it to
 * a peer FakeIp after `latencyUs` on the virtual clock (through an optional
 * filter that may drop, delay, duplicate or corrupt), or keep it for a test
 * to inspect.
 */
export class FakeIp implements IpLayer {
  readonly handlers = new Map<number, ProtocolHandler>();
  readonly errorHandlers = new Map<number, IcmpErrorHandler>();
  readonly sent: SentPacket[] = [];
  peer: FakeIp | null = null;
  latencyUs = 0;
  /** Returns the delays (µs) at which to deliver copies of a packet ([] drops it). */
  filter: ((bytes: Uint8Array) => number[]) | null = null;
  /** Keep sent packets in `sent` (packet-level tests); off for bulk transfers. */
  record = true;

  constructor(
    readonly clock: Clock,
    readonly address: IpAddress,
    public mtu = 1500,
  ) {}

  registerProtocol(protocol: number, handler: ProtocolHandler): void {
    this.handlers.set(protocol, handler);
  }

  registerErrorHandler(protocol: number, handler: IcmpErrorHandler): void {
    this.errorHandlers.set(protocol, handler);
  }

  route(dst: IpAddress): RouteResult | null {
    if (typeof dst !== typeof this.address) return null;
    return { family: typeof dst === 'number' ? 4 : 6, src: this.address, dst, nextHop: dst, ifindex: 1, mtu: this.mtu };
  }

  isLocalAddress(addr: IpAddress): boolean {
    return addrEqual(addr, this.address);
  }

  /** ICMP errors are not TCP's business in these tests: none is sent. */
  sendIcmpError(): void {}

  send(opts: IpSendOptions, pkt: PacketBuffer): IpSendResult {
    const bytes = pkt.view().slice();
    const src = opts.src ?? this.address;
    if (this.record) this.sent.push({ time: this.clock.now(), src, dst: opts.dst, bytes });
    const peer = this.peer;
    if (peer !== null && addrEqual(peer.address, opts.dst)) {
      const delays = this.filter ? this.filter(bytes) : [0];
      for (const d of delays) {
        this.clock.schedule(this.clock.now() + this.latencyUs + d, () => peer.deliver(src, opts.dst, bytes));
      }
    }
    return 'ok';
  }

  /** Hands `bytes` (a TCP segment) to the transport as if it arrived from `src`. */
  deliver(src: IpAddress, dst: IpAddress, bytes: Uint8Array, protocol = 6): void {
    const info: InboundIp = {
      family: typeof src === 'number' ? 4 : 6, src, dst, protocol, ttl: 64, tos: 0, ifindex: 1, dstKind: 'unicast', packet: bytes, reassembled: false,
    };
    this.handlers.get(protocol)?.(info, bytes);
  }

  /** Hands an ICMP error report to the transport. */
  deliverError(report: IcmpErrorReport): void {
    this.errorHandlers.get(report.protocol)?.(report);
  }
}

/** A StackContext for tests: the given clock, a seeded RNG, fresh counters. */
export function testContext(clock: Clock, id: string, seed: number): StackContext {
  return {
    id,
    clock,
    random: new SeededRandom(seed),
    counters: createCounters(),
    timers: new TimerScheduler(clock),
    trace: new Tracer(id, () => clock.now()),
  };
}
