import { parseIPv4, parseIPv6, type IPv4Address, type IPv6Address } from '../core/address.js';
import { readU16, writeU16 } from '../core/bytes.js';

/**
 * The packet-crafting model: a packet is a tree of {@link Layer}s, each made
 * by a typed builder (`ether`, `arp`, `ipv4`, `ipv6`, `icmp`, `icmp6`,
 * `udp`, `tcp`, `raw`) and composed scapy-style:
 *
 * ```ts
 * const syn = build(ipv4({ src: '192.0.2.2', dst: '192.0.2.1' },
 *                        tcp({ srcPort: 40000, dstPort: 7, flags: 'S', options: [{ kind: 'mss', value: 1460 }] })));
 * ```
 *
 * Builders only describe; bytes are made by {@link build}, outermost layer
 * first asking its inner layer for bytes. Every derived field (lengths,
 * checksums, data offsets, IHL, next-header/protocol/EtherType links) is
 * computed unless the spec gives it, so a fuzzer can set any of them wrong
 * on purpose; checksums also take `'bad'` (the right value, deliberately
 * spoiled). The wire formats themselves are the codecs' (src/link,
 * src/ip, src/icmp, src/udp, src/tcp): this module only wires them together.
 */

/** An address as the crafting API accepts it: the codec form, or text. */
export type Ipv4Input = IPv4Address | string;
export type Ipv6Input = IPv6Address | string;

/** What an enclosing IP layer tells the layer inside it: the pseudo-header addresses. */
export interface CraftEnv {
  readonly src?: IPv4Address | IPv6Address;
  readonly dst?: IPv4Address | IPv6Address;
}

/** The layer kinds the builders make. */
export type LayerKind = 'ether' | 'arp' | 'ipv4' | 'ipv6' | 'icmp' | 'icmp6' | 'udp' | 'tcp' | 'raw';

/** One layer of a crafted packet. */
export interface Layer {
  readonly kind: LayerKind;
  /** The IP protocol / IPv6 next-header number that announces this layer (transports and IP-in-IP). */
  readonly protocol?: number;
  /** The EtherType that announces this layer (IP and ARP). */
  readonly ethertype?: number;
  /** The layer's bytes with everything inside it; `env` carries the enclosing IP addresses. */
  encode(env: CraftEnv): Uint8Array;
}

/** What a builder takes as its payload: another layer, or finished bytes. */
export type Inner = Layer | Uint8Array;

/** A checksum field as a spec may give it: a value to write, or `'bad'` for a deliberately wrong one. */
export type ChecksumInput = number | 'bad';

const NO_ENV: CraftEnv = Object.freeze({});
const EMPTY = new Uint8Array(0);

/** The bytes of a whole crafted packet (the outermost layer has no enclosing addresses). */
export function build(layer: Inner): Uint8Array {
  return layer instanceof Uint8Array ? layer : layer.encode(NO_ENV);
}

/** The bytes of an inner layer under `env` (empty when there is none). */
export function encodeInner(inner: Inner | undefined, env: CraftEnv): Uint8Array {
  if (inner === undefined) return EMPTY;
  return inner instanceof Uint8Array ? inner : inner.encode(env);
}

/** Finished bytes as a layer (unknown protocols, garbage, seeds from a capture). */
export function raw(bytes: Uint8Array | readonly number[], announce: { protocol?: number; ethertype?: number } = {}): Layer {
  const b = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  return {
    kind: 'raw',
    ...(announce.protocol !== undefined ? { protocol: announce.protocol } : {}),
    ...(announce.ethertype !== undefined ? { ethertype: announce.ethertype } : {}),
    encode: () => b,
  };
}

/** An IPv4 address from its number or dotted text. Throws on bad text (programmer error). */
export function v4(a: Ipv4Input): IPv4Address {
  if (typeof a === 'number') return a >>> 0;
  const p = parseIPv4(a);
  if (p === null) throw new TypeError(`craft: not an IPv4 address: ${a}`);
  return p;
}

/** An IPv6 address from its 16 bytes or text. Throws on bad input (programmer error). */
export function v6(a: Ipv6Input): IPv6Address {
  if (typeof a !== 'string') {
    if (a.length !== 16) throw new RangeError('craft: an IPv6 address is 16 bytes');
    return a;
  }
  const p = parseIPv6(a);
  if (p === null) throw new TypeError(`craft: not an IPv6 address: ${a}`);
  return p;
}

/**
 * A value for a 16-bit checksum field that is certainly wrong when `right`
 * is right: one bit off. In one's complement 0x0000 and 0xffff both mean
 * zero, and a UDP checksum of 0 means "none"; flipping the low bit never
 * turns one into the other, and 0 is avoided so the field stays "present".
 */
export function wrongChecksum(right: number): number {
  const w = (right ^ 1) & 0xffff;
  return w === 0 ? 2 : w;
}

/**
 * Applies a spec's checksum choice to the field at `b[o..o+2)`, which the
 * codec has already filled with the right value: `'bad'` spoils it, a
 * number replaces it, undefined keeps it.
 */
export function applyChecksum(b: Uint8Array, o: number, choice: ChecksumInput | undefined): void {
  if (choice === undefined) return;
  writeU16(b, o, choice === 'bad' ? wrongChecksum(readU16(b, o)) : choice & 0xffff);
}

/** Splits a checksum choice into what the codec writer takes (a number or nothing) and whether to spoil afterwards. */
export function codecChecksum(choice: ChecksumInput | undefined): number | undefined {
  return typeof choice === 'number' ? choice & 0xffff : undefined;
}
