import { parseIPv6 } from '../../../src/core/address.js';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import { VirtualClock } from '../../../src/core/clock.js';
import type { Ipv6InterfaceOptions } from '../../../src/ip/addrconf.js';
import type { NetInterface } from '../../../src/ip/interface.js';
import { LinkDecorator, type Link } from '../../../src/link/link.js';
import { createMemoryPair, type MemoryLink } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';

/** Records what a stack transmits, with the time, as hex (what a pcap tap would see). */
export class Recorder extends LinkDecorator {
  readonly sent: { t: number; frame: string }[] = [];
  constructor(
    inner: Link,
    private readonly clock: VirtualClock,
  ) {
    super(inner);
  }
  override send(frame: Uint8Array): void {
    this.sent.push({ t: this.clock.now(), frame: toHex(frame) });
    super.send(frame);
  }
  frames(): string[] {
    return this.sent.map((s) => s.frame);
  }
  clear(): void {
    this.sent.length = 0;
  }
}

export const MAC_A = '020000000001';
export const MAC_B = '020000000002';
/** fe80::ff:fe00:1 and :2: the modified EUI-64 link-locals of MAC_A and MAC_B (RFC 4291 App. A). */
export const LL_A = 'fe80000000000000000000fffe000001';
export const LL_B = 'fe80000000000000000000fffe000002';

/** 32 hex digits of an IPv6 address. */
export function h6(text: string): string {
  const a = parseIPv6(text);
  if (a === null) throw new Error(`bad address ${text}`);
  return toHex(a);
}

/** The 40-byte IPv6 header as hex. */
export function ip6hdr(o: { tc?: number; flow?: number; plen: number; nh: number; hop: number; src: string; dst: string }): string {
  const w0 = ((6 << 28) | ((o.tc ?? 0) << 20) | (o.flow ?? 0)) >>> 0;
  return w0.toString(16).padStart(8, '0') + o.plen.toString(16).padStart(4, '0') + o.nh.toString(16).padStart(2, '0') +
    o.hop.toString(16).padStart(2, '0') + o.src + o.dst;
}

/** An Ethernet II header for IPv6 as hex. */
export function eth6(dst: string, src: string): string {
  return dst + src + '86dd';
}

/**
 * The ICMPv6 checksum of `msg` over the IPv6 pseudo-header (RFC 8200 §8.1),
 * computed here independently of the stack's checksum code.
 */
export function icmp6Sum(src: Uint8Array, dst: Uint8Array, msg: Uint8Array): number {
  const words: number[] = [];
  const push = (b: Uint8Array): void => {
    for (let i = 0; i < b.length; i += 2) words.push((b[i]! << 8) | (b[i + 1] ?? 0));
  };
  push(src);
  push(dst);
  words.push(msg.length >>> 16, msg.length & 0xffff, 0, 58);
  push(msg);
  let s = words.reduce((x, y) => x + y, 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** True if the ICMPv6 message after the 40-byte header of `packet` (no extension headers) has a valid checksum. */
export function icmp6ChecksumOk(packet: Uint8Array, icmpOffset = 40): boolean {
  return icmp6Sum(packet.subarray(8, 24), packet.subarray(24, 40), packet.subarray(icmpOffset)) === 0;
}

/** `msgHex` with its checksum (bytes 2..3) filled in for src → dst. */
export function withIcmp6Checksum(src: string, dst: string, msgHex: string): string {
  const m = fromHex(msgHex);
  m[2] = 0;
  m[3] = 0;
  const c = icmp6Sum(fromHex(src), fromHex(dst), m);
  m[2] = c >>> 8;
  m[3] = c & 0xff;
  return toHex(m);
}

export interface Pair {
  clock: VirtualClock;
  a: Stack;
  b: Stack;
  ra: Recorder;
  rb: Recorder;
  ia: NetInterface;
  ib: NetInterface;
}

/** Two stacks on an Ethernet (TAP-like) in-memory wire, MACs 02:00:00:00:00:01 and :02, IPv6 on. */
export function ethernetPair(
  o: { ipv6A?: string[]; ipv6B?: string[]; configA?: Ipv6InterfaceOptions; configB?: Ipv6InterfaceOptions; latencyUs?: number; mtu?: number } = {},
): Pair {
  const clock = new VirtualClock();
  const [la, lb] = createMemoryPair(clock, { linkType: 'ethernet', latencyUs: o.latencyUs ?? 10, mtu: o.mtu ?? 1500 });
  return wire(clock, la, lb, o);
}

/** Two stacks on an IP (TUN-like) in-memory wire, IPv6 on. */
export function ipPair(
  o: { ipv6A?: string[]; ipv6B?: string[]; configA?: Ipv6InterfaceOptions; configB?: Ipv6InterfaceOptions; latencyUs?: number; mtu?: number } = {},
): Pair {
  const clock = new VirtualClock();
  const [la, lb] = createMemoryPair(clock, { linkType: 'ip', latencyUs: o.latencyUs ?? 10, mtu: o.mtu ?? 1500 });
  return wire(clock, la, lb, o);
}

function wire(
  clock: VirtualClock,
  la: MemoryLink,
  lb: MemoryLink,
  o: { ipv6A?: string[]; ipv6B?: string[]; configA?: Ipv6InterfaceOptions; configB?: Ipv6InterfaceOptions },
): Pair {
  const ra = new Recorder(la, clock);
  const rb = new Recorder(lb, clock);
  const a = new Stack({ clock, seed: 1, id: 'a' });
  const b = new Stack({ clock, seed: 2, id: 'b' });
  const ia = a.addInterface(ra, { ipv6: o.ipv6A ?? [], ipv6Config: o.configA ?? {} });
  const ib = b.addInterface(rb, { ipv6: o.ipv6B ?? [], ipv6Config: o.configB ?? {} });
  return { clock, a, b, ra, rb, ia, ib };
}

/**
 * One stack on an IP link whose other end is a plain collector: tests inject
 * packets with `inject` and read what the stack sent from `out`.
 */
export function lonelyStack(o: { ipv6?: string[]; config?: Ipv6InterfaceOptions; mtu?: number; linkType?: 'ip' | 'ethernet' } = {}): {
  clock: VirtualClock;
  s: Stack;
  iface: NetInterface;
  out: Uint8Array[];
  inject: (p: Uint8Array | string) => void;
} {
  const clock = new VirtualClock();
  const [mine, theirs] = createMemoryPair(clock, { linkType: o.linkType ?? 'ip', mtu: o.mtu ?? 1500 });
  const out: Uint8Array[] = [];
  theirs.setReceiver((f) => out.push(f.slice()));
  const s = new Stack({ clock, seed: 7, id: 's' });
  const iface = s.addInterface(mine, {
    ipv6: o.ipv6 ?? ['2001:db8::2/64'],
    ipv6Config: { routerSolicitations: 0, mldReports: false, ...o.config },
  });
  clock.runUntilIdle();
  out.length = 0;
  const inject = (p: Uint8Array | string): void => {
    s.ip.receiveFrame(iface, typeof p === 'string' ? fromHex(p) : p);
    clock.runDue(); // what the stack sent crosses the wire (zero latency)
  };
  return { clock, s, iface, out, inject };
}
