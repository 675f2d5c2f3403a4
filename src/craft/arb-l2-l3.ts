/**
 * fast-check arbitraries for the link and IPv4/ICMPv4/UDP codec specs, for
 * any property test that needs well-formed frames or datagrams to start
 * from (and then mangle). Every arbitrary here builds something its parser
 * accepts and round-trips.
 */
import fc from 'fast-check';
import type { IPv4Address, IPv6Address } from '../core/address.js';
import type { Icmpv4EchoSpec, Icmpv4Spec } from '../icmp/icmpv4-header.js';
import {
  IPOPT_LSRR,
  IPOPT_NOP,
  IPOPT_RA,
  IPOPT_RR,
  IPOPT_SSRR,
  IPOPT_TS,
} from '../ip/ipv4-options.js';
import { IPV4_MAX_OPTIONS_LEN, type Ipv4Spec } from '../ip/ipv4-header.js';
import type { ArpSpec } from '../link/arp.js';
import { ETHERTYPE_QINQ, ETHERTYPE_VLAN, isVlanTpid, type EthernetSpec, type VlanTagSpec } from '../link/ethernet.js';
import type { UdpSpec } from '../udp/header.js';

export const arbU8 = fc.integer({ min: 0, max: 0xff });
export const arbU16 = fc.integer({ min: 0, max: 0xffff });
export const arbU32 = fc.integer({ min: 0, max: 0xffffffff });

/** Any 6-byte MAC, unicast or group. */
export const arbMac: fc.Arbitrary<Uint8Array> = fc.uint8Array({ minLength: 6, maxLength: 6 });
export const arbIpv4Address: fc.Arbitrary<IPv4Address> = arbU32;
export const arbIpv6Address: fc.Arbitrary<IPv6Address> = fc.uint8Array({ minLength: 16, maxLength: 16 });

/** A payload of up to `maxLength` bytes (default 64). */
export function arbPayload(maxLength = 64): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength });
}

/** A VLAN tag with an explicit TPID (0x8100 or 0x88a8) and every field in range. */
export const arbVlanTagSpec: fc.Arbitrary<Required<VlanTagSpec>> = fc.record({
  tpid: fc.constantFrom(ETHERTYPE_VLAN, ETHERTYPE_QINQ),
  pcp: fc.integer({ min: 0, max: 7 }),
  dei: fc.boolean(),
  vid: fc.integer({ min: 0, max: 0x0fff }),
});

/** Any EtherType except the tag TPIDs (which would make the payload a tag). */
export const arbEthertype: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0x0800, 0x0806, 0x86dd),
  arbU16.filter((t) => !isVlanTpid(t)),
);

/** An Ethernet header spec with 0..8 tags, unpadded. */
export const arbEthernetSpec: fc.Arbitrary<EthernetSpec & { vlans: Required<VlanTagSpec>[] }> = fc.record({
  dst: arbMac,
  src: arbMac,
  ethertype: arbEthertype,
  vlans: fc.array(arbVlanTagSpec, { maxLength: 8 }),
});

/** An Ethernet/IPv4 ARP spec with any opcode. */
export const arbArpSpec: fc.Arbitrary<ArpSpec & { targetMac: Uint8Array }> = fc.record({
  opcode: fc.oneof(fc.constantFrom(1, 2), arbU16),
  senderMac: arbMac,
  senderIp: arbIpv4Address,
  targetMac: arbMac,
  targetIp: arbIpv4Address,
});

/** One well-formed IPv4 option (as bytes) of the kinds the walker knows, or an unknown TLV. */
export const arbIpv4Option: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constant(Uint8Array.of(IPOPT_NOP)),
  arbU16.map((v) => Uint8Array.of(IPOPT_RA, 4, v >>> 8, v & 0xff)),
  fc
    .tuple(fc.constantFrom(IPOPT_RR, IPOPT_LSRR, IPOPT_SSRR), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 4, max: 255 }))
    .map(([type, slots, ptr]) => {
      const o = new Uint8Array(3 + 4 * slots);
      o[0] = type;
      o[1] = o.length;
      o[2] = ptr;
      return o;
    }),
  fc.tuple(fc.integer({ min: 5, max: 255 }), arbU8, fc.uint8Array({ maxLength: 8 })).map(([ptr, flags, rest]) => {
    const o = new Uint8Array(4 + rest.length);
    o.set([IPOPT_TS, o.length, ptr, flags]);
    o.set(rest, 4);
    return o;
  }),
  fc
    .tuple(
      arbU8.filter((t) => ![0, 1, IPOPT_RR, IPOPT_TS, IPOPT_LSRR, IPOPT_SSRR, IPOPT_RA, 130, 136].includes(t)),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(([type, data]) => {
      const o = new Uint8Array(2 + data.length);
      o[0] = type;
      o[1] = o.length;
      o.set(data, 2);
      return o;
    }),
);

/** Well-formed option bytes, at most 40 once padded, unpadded here (the builder pads). */
export const arbIpv4Options: fc.Arbitrary<Uint8Array> = fc
  .array(arbIpv4Option, { maxLength: 5 })
  .map((opts) => {
    const out: number[] = [];
    for (const o of opts) {
      if (out.length + o.length > IPV4_MAX_OPTIONS_LEN) break;
      out.push(...o);
    }
    return Uint8Array.from(out);
  });

/** An IPv4 header spec with no overridden derived fields (so it parses back). */
export const arbIpv4Spec: fc.Arbitrary<Required<Omit<Ipv4Spec, 'version' | 'ihl' | 'totalLength' | 'checksum'>>> =
  fc.record({
    src: arbIpv4Address,
    dst: arbIpv4Address,
    protocol: arbU8,
    ttl: arbU8,
    tos: arbU8,
    id: arbU16,
    df: fc.boolean(),
    mf: fc.boolean(),
    reservedFlag: fc.boolean(),
    fragmentOffset: fc.integer({ min: 0, max: 0x1fff }).map((u) => u * 8),
    options: fc.oneof(fc.constant(new Uint8Array(0)), arbIpv4Options),
  });

/** Any ICMPv4 message spec (raw type/code/rest/body, computed checksum). */
export const arbIcmpv4Spec: fc.Arbitrary<Required<Omit<Icmpv4Spec, 'checksum'>>> = fc.record({
  type: fc.oneof(fc.constantFrom(0, 3, 4, 5, 8, 11, 12, 13, 14), arbU8),
  code: fc.oneof(fc.integer({ min: 0, max: 15 }), arbU8),
  rest: arbU32,
  body: arbPayload(96),
});

/** An echo request/reply spec. */
export const arbIcmpv4EchoSpec: fc.Arbitrary<Required<Omit<Icmpv4EchoSpec, 'checksum' | 'code'>>> = fc.record({
  reply: fc.boolean(),
  identifier: arbU16,
  sequence: arbU16,
  data: arbPayload(96),
});

/** A UDP spec with payload and no overridden derived fields. */
export const arbUdpSpec: fc.Arbitrary<UdpSpec & { payload: Uint8Array }> = fc.record({
  srcPort: arbU16,
  dstPort: arbU16,
  payload: arbPayload(96),
});
