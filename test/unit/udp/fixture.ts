import { parseIPv4 } from '../../../src/core/address.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { PingEndpoints } from '../../../src/icmp/ping-endpoints.js';
import { RawIcmpEndpoints } from '../../../src/icmp/raw-endpoints.js';
import { IgmpLayer, type IgmpConfig } from '../../../src/ip/igmp.js';
import type { NetInterface } from '../../../src/ip/interface.js';
import { LinkDecorator, type Link } from '../../../src/link/link.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';
import { UdpLayer } from '../../../src/udp/udp-layer.js';

/** Records what a stack transmits, exactly as a pcap tap would see it. */
export class Recorder extends LinkDecorator {
  readonly sent: { at: number; frame: Uint8Array }[] = [];
  constructor(
    inner: Link,
    private readonly clock: VirtualClock,
  ) {
    super(inner);
  }
  override send(frame: Uint8Array): void {
    this.sent.push({ at: this.clock.now(), frame: frame.slice() });
    super.send(frame);
  }
  /** Frames sent, filtered by IP protocol. */
  frames(protocol?: number): Uint8Array[] {
    return this.sent.map((s) => s.frame).filter((f) => protocol === undefined || f[9] === protocol);
  }
}

/** One stack wired as the lead will wire it in Stack. */
export interface Host {
  stack: Stack;
  iface: NetInterface;
  rec: Recorder;
  igmp: IgmpLayer;
  udp: UdpLayer;
  raw: RawIcmpEndpoints;
  ping: PingEndpoints;
}

export interface HostsOptions {
  seedA?: number;
  seedB?: number;
  mtu?: number;
  igmp?: Partial<IgmpConfig>;
}

/** Two stacks, 192.0.2.1 (a) and 192.0.2.2 (b) on a /24, joined by an in-memory wire with 100 µs latency. */
export function twoHosts(opts: HostsOptions = {}): { clock: VirtualClock; a: Host; b: Host } {
  const clock = new VirtualClock();
  const [la, lb] = createMemoryPair(clock, { latencyUs: 100, mtu: opts.mtu ?? 1500 });
  const make = (link: Link, seed: number, id: string, addr: string): Host => {
    const rec = new Recorder(link, clock);
    const stack = new Stack({ clock, seed, id });
    const iface = stack.addInterface(rec, { ipv4: [addr] });
    const igmp = new IgmpLayer(stack.ctx, stack.ip, opts.igmp);
    const udp = new UdpLayer(stack.ctx, stack.ip, { membership: igmp });
    const raw = new RawIcmpEndpoints(stack.ctx, stack.ip, stack.icmp);
    const ping = new PingEndpoints(stack.ctx, stack.ip, stack.icmp);
    return { stack, iface, rec, igmp, udp, raw, ping };
  };
  return {
    clock,
    a: make(la, opts.seedA ?? 1, 'a', '192.0.2.1/24'),
    b: make(lb, opts.seedB ?? 2, 'b', '192.0.2.2/24'),
  };
}

export const A = parseIPv4('192.0.2.1')!;
export const B = parseIPv4('192.0.2.2')!;

/** Text as bytes. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Bytes as text. */
export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

/** RFC 1071 ones'-complement sum folded to 16 bits (0xffff over a region with a correct checksum). */
export function onesSum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
