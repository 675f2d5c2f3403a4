/**
 * fast-check arbitraries for whole crafted packets: a transport inside
 * IPv4 or IPv6 (with options / extension headers), inside Ethernet, plus
 * ARP. Every one builds bytes that the codecs parse back with valid
 * checksums; the mutation arbitraries (arb-mutations.ts) start from these.
 */
import fc from 'fast-check';
import type { IPv4Address, IPv6Address } from '../core/address.js';
import { arbArpSpec, arbEthernetSpec, arbIcmpv4Spec, arbIpv4Options, arbPayload } from './arb-l2-l3.js';
import { arbIcmpv6Spec, arbOptionsHeader, arbRoutingHeader, arbV6Address } from './arb-v6.js';
import { arbTcpCraft, arbUdpCraft } from './arb-transport.js';
import { icmp, icmp6 } from './icmp.js';
import { ipv4, ipv6 } from './ip.js';
import { build, type Layer } from './layer.js';
import { arp, ether } from './link.js';
import { tcp, udp } from './transport.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });

/** Transports the packet arbitraries can carry. */
export type TransportKind = 'tcp' | 'udp' | 'icmp';

/** Where packets go and what they carry; every field optional. */
export interface PacketArbOptions {
  src4?: fc.Arbitrary<IPv4Address>;
  dst4?: fc.Arbitrary<IPv4Address>;
  src6?: fc.Arbitrary<IPv6Address>;
  dst6?: fc.Arbitrary<IPv6Address>;
  srcPort?: fc.Arbitrary<number>;
  dstPort?: fc.Arbitrary<number>;
  /** Largest transport payload (default 64). */
  maxPayload?: number;
  /** Transports to choose from (default all three). */
  transports?: readonly TransportKind[];
}

function ports(o: PacketArbOptions): { srcPort?: fc.Arbitrary<number>; dstPort?: fc.Arbitrary<number> } {
  return {
    ...(o.srcPort !== undefined ? { srcPort: o.srcPort } : {}),
    ...(o.dstPort !== undefined ? { dstPort: o.dstPort } : {}),
  };
}

/** A TCP segment with any flags, well-formed options and a payload. */
export function arbTcpLayer(o: PacketArbOptions = {}): fc.Arbitrary<Layer> {
  return fc.tuple(arbTcpCraft(ports(o)), arbPayload(o.maxPayload ?? 64)).map(([spec, payload]) => tcp(spec, payload));
}

/** A UDP datagram. */
export function arbUdpLayer(o: PacketArbOptions = {}): fc.Arbitrary<Layer> {
  return fc.tuple(arbUdpCraft(ports(o)), arbPayload(o.maxPayload ?? 64)).map(([spec, payload]) => udp(spec, payload));
}

/** Any ICMPv4 message (raw type, code, rest word and body). */
export const arbIcmpLayer: fc.Arbitrary<Layer> = arbIcmpv4Spec.map((s) => icmp({ type: s.type, code: s.code, rest: s.rest }, s.body));

/** Any ICMPv6 message the codec knows how to build (errors, echo, NDP, MLD, unknown types). */
export const arbIcmp6Layer: fc.Arbitrary<Layer> = arbIcmpv6Spec.map((s) => icmp6(s));

function arbTransport(o: PacketArbOptions, v6: boolean): fc.Arbitrary<Layer> {
  const kinds = o.transports ?? ['tcp', 'udp', 'icmp'];
  const arbs = kinds.map((k) => (k === 'tcp' ? arbTcpLayer(o) : k === 'udp' ? arbUdpLayer(o) : v6 ? arbIcmp6Layer : arbIcmpLayer));
  return fc.oneof(...arbs);
}

/** A whole (unfragmented) IPv4 datagram with random header fields, maybe options, and a transport inside. */
export function arbIpv4Layer(o: PacketArbOptions = {}): fc.Arbitrary<Layer> {
  return fc
    .record({
      src: o.src4 ?? fc.integer({ min: 0, max: 0xffffffff }),
      dst: o.dst4 ?? fc.integer({ min: 0, max: 0xffffffff }),
      ttl: u8,
      tos: u8,
      id: u16,
      df: fc.boolean(),
      options: fc.option(arbIpv4Options, { nil: undefined, freq: 3 }),
      inner: arbTransport(o, false),
    })
    .map(({ inner, options, ...spec }) => ipv4(options === undefined ? spec : { ...spec, options }, inner));
}

/** A whole IPv6 packet with random fields, maybe Hop-by-Hop / Destination Options / Routing headers, and a transport. */
export function arbIpv6Layer(o: PacketArbOptions = {}): fc.Arbitrary<Layer> {
  return fc
    .record({
      src: o.src6 ?? arbV6Address,
      dst: o.dst6 ?? arbV6Address,
      trafficClass: u8,
      flowLabel: fc.integer({ min: 0, max: 0xfffff }),
      hopLimit: u8,
      hbh: fc.option(arbOptionsHeader('hbh'), { nil: undefined, freq: 4 }),
      middle: fc.array(fc.oneof(arbOptionsHeader('dstopts'), arbRoutingHeader), { maxLength: 2 }),
      inner: arbTransport(o, true),
    })
    .map(({ inner, hbh, middle, ...spec }) => ipv6({ ...spec, extensions: [...(hbh ? [hbh] : []), ...middle] }, inner));
}

/** IPv4 or IPv6 packet bytes. */
export function arbIpPacket(o: PacketArbOptions = {}): fc.Arbitrary<Uint8Array> {
  return fc.oneof(arbIpv4Layer(o), arbIpv6Layer(o)).map(build);
}

/** An ARP packet (any opcode and addresses). */
export const arbArpLayer: fc.Arbitrary<Layer> = arbArpSpec.map((s) => arp(s));

/** An Ethernet frame (with 0..8 VLAN tags) carrying ARP, IPv4 or IPv6. */
export function arbEtherLayer(o: PacketArbOptions = {}): fc.Arbitrary<Layer> {
  return fc
    .tuple(arbEthernetSpec, fc.oneof(arbArpLayer, arbIpv4Layer(o), arbIpv6Layer(o)))
    .map(([e, inner]) => ether({ dst: e.dst, src: e.src, vlans: e.vlans }, inner));
}
