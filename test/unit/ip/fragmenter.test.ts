import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../../../src/core/address.js';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import { fragmentIpv4, fragmentIpv6, unfragmentableCount } from '../../../src/ip/fragmenter.js';
import { parseIpv4, type Ipv4Spec } from '../../../src/ip/ipv4-header.js';
import { recordRouteOption, routerAlertOption } from '../../../src/ip/ipv4-options.js';
import { parseIpv6, walkIpv6Extensions, type Ipv6Spec } from '../../../src/ip/ipv6-header.js';

// Expected fragments were produced by an independent python3 script
// (struct.pack, its own RFC 1071 sum) into a linktype-101 pcap; tshark 4 with
// ip.check_checksum and udp.check_checksum on reported every IPv4 header
// checksum "Good", reassembled both datagrams ("Reassembled IPv4 length: 100",
// "Reassembled IPv6 length: 76") and found the UDP checksums inside "Good".

const S4 = parseIPv4('192.0.2.1')!;
const D4 = parseIPv4('192.0.2.2')!;
const A = parseIPv6('2001:db8::1')!;
const B = parseIPv6('2001:db8::2')!;

// A UDP datagram 4000 -> 4001 with 92 data bytes (i * 7 mod 256), 100 bytes in all.
const UDP4 =
  '0fa00fa10064acf0' +
  '00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a61686f767d';
// Options: Router Alert (94 04 0000, copied flag set) + Record Route with one slot
// (07 07 04 00000000, copied flag clear) + EOL: 12 option bytes in the first fragment,
// only the Router Alert (4 bytes) in the others. MTU 68: 32 + 40 + 28 data bytes.
const V4_FRAGS = [
  '48000040424220004011f25bc0000201c00002029404000007070400000000000fa00fa10064acf000070e151c232a31383f464d545b626970777e858c939aa1',
  '46000040424220044011ff5ec0000201c000020294040000a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969da4abb2b9',
  '460000344242000940111f66c0000201c000020294040000c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a61686f767d',
];

// IPv6 2001:db8::1 -> ::2 with Hop-by-Hop (Router Alert), Routing (type 253, Segments Left 0),
// Destination Options (option 0x1e, 4 bytes) and UDP 7 -> 9 with 60 data bytes (0..59).
// MTU 96: the unfragmentable part is 56 bytes, so 32 + 32 + 12 bytes of the 76-byte
// fragmentable part (Destination Options + UDP), identification 0x01020304.
const FIXED = '20010db8000000000000000000000001' + '20010db8000000000000000000000002';
const HBH = '2b00050200000100';
const V6_FRAGS = [
  '60000000003800' + '40' + FIXED + HBH + '2c00fd0000000000' + '3c00000101020304' +
    '11001e04010203040007000900443a5a000102030405060708090a0b0c0d0e0f',
  '60000000003800' + '40' + FIXED + HBH + '2c00fd0000000000' + '3c00002101020304' +
    '101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f',
  '60000000002400' + '40' + FIXED + HBH + '2c00fd0000000000' + '3c00004001020304' + '303132333435363738393a3b',
];
const UDP6 = fromHex(
  '0007000900443a5a' + '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b',
);

const V4_SPEC: Ipv4Spec = {
  src: S4,
  dst: D4,
  protocol: 17,
  id: 0x4242,
  options: Uint8Array.from([...routerAlertOption(0), ...recordRouteOption(1)]),
};

const V6_SPEC: Ipv6Spec = {
  src: A,
  dst: B,
  protocol: 17,
  extensions: [
    { kind: 'hbh', options: [{ type: 5, data: fromHex('0000') }] },
    { kind: 'routing', routingType: 253, segmentsLeft: 0 },
    { kind: 'dstopts', options: [{ type: 0x1e, data: fromHex('01020304') }] },
  ],
};

describe('IPv4 fragmentation (RFC 791 §3.2)', () => {
  it('splits into 8-byte-aligned fragments, copying only copied-flag options after the first', () => {
    const frags = fragmentIpv4(V4_SPEC, fromHex(UDP4), 68);
    expect(frags.map((f) => toHex(f))).toEqual(V4_FRAGS);
  });

  it('keeps every fragment within the MTU and the offsets contiguous', () => {
    const payload = new Uint8Array(1000).map((_, i) => i);
    for (const mtu of [68, 100, 576, 999]) {
      const frags = fragmentIpv4({ src: S4, dst: D4, protocol: 6, id: 7 }, payload, mtu);
      let next = 0;
      frags.forEach((f, i) => {
        expect(f.length).toBeLessThanOrEqual(mtu);
        const r = parseIpv4(f);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.value.fragmentOffset).toBe(next);
        expect(r.value.mf).toBe(i < frags.length - 1);
        expect(r.value.id).toBe(7);
        if (r.value.mf) expect(r.value.payload.length % 8).toBe(0);
        next += r.value.payload.length;
      });
      expect(next).toBe(1000);
    }
  });

  it('re-fragments a fragment: offsets add up and the last keeps MF', () => {
    const frags = fragmentIpv4({ src: S4, dst: D4, protocol: 17, fragmentOffset: 800, mf: true }, new Uint8Array(64), 44);
    const hs = frags.map((f) => {
      const r = parseIpv4(f);
      if (!r.ok) throw new Error(r.reason);
      return [r.value.fragmentOffset, r.value.mf, r.value.payload.length];
    });
    expect(hs).toEqual([
      [800, true, 24],
      [824, true, 24],
      [848, true, 16],
    ]);
  });

  it('returns a datagram that fits unchanged, and refuses DF or hopeless MTUs', () => {
    const one = fragmentIpv4({ ...V4_SPEC, df: true }, fromHex(UDP4), 1500);
    expect(one).toHaveLength(1);
    expect(toHex(one[0]!.subarray(32))).toBe(UDP4);
    expect(() => fragmentIpv4({ ...V4_SPEC, df: true }, fromHex(UDP4), 68)).toThrow(RangeError);
    expect(() => fragmentIpv4(V4_SPEC, fromHex(UDP4), 39)).toThrow(RangeError);
  });
});

describe('IPv6 fragmentation (RFC 8200 §4.5)', () => {
  it('repeats the unfragmentable part and fragments the rest', () => {
    const frags = fragmentIpv6(V6_SPEC, UDP6, 96, 0x01020304);
    expect(frags.map((f) => toHex(f))).toEqual(V6_FRAGS);
  });

  it('without extension headers, fragments right after the fixed header', () => {
    // The two fragments of the UDP datagram checked in ipv6-header.test.ts (tshark reassembled them).
    const udp = fromHex('03e807d000301ad0' + '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627');
    const frags = fragmentIpv6({ src: A, dst: B, protocol: 17 }, udp, 72, 0xdeadbeef);
    expect(frags.map((f) => toHex(f.subarray(0, 8)) + '|' + toHex(f.subarray(40, 48)))).toEqual([
      '60000000' + '0020' + '2c40' + '|' + '11000001deadbeef',
      '60000000' + '0020' + '2c40' + '|' + '11000018deadbeef',
    ]);
  });

  it('every fragment fits the MTU, parses, and carries the Fragment header after the unfragmentable part', () => {
    const payload = new Uint8Array(3000).map((_, i) => i * 3);
    const frags = fragmentIpv6(V6_SPEC, payload, 1280, 99);
    let next = 0;
    frags.forEach((f, i) => {
      expect(f.length).toBeLessThanOrEqual(1280);
      const p = parseIpv6(f);
      expect(p.ok).toBe(true);
      const w = walkIpv6Extensions(f);
      expect(w.ok).toBe(true);
      if (!w.ok) return;
      const fr = w.value.fragment!;
      expect(fr).toMatchObject({ headerOffset: 56, nextHeaderField: 48, nextHeader: 60, identification: 99, offset: next });
      expect(fr.more).toBe(i < frags.length - 1);
      next += f.length - fr.dataOffset;
    });
    expect(next).toBe(8 + payload.length);
  });

  it('returns a packet that fits whole, and refuses impossible requests', () => {
    expect(fragmentIpv6(V6_SPEC, UDP6, 1500, 1)).toHaveLength(1);
    expect(() => fragmentIpv6(V6_SPEC, UDP6, 70, 1)).toThrow(RangeError);
    expect(() =>
      fragmentIpv6({ ...V6_SPEC, extensions: [{ kind: 'fragment', offset: 0, more: false, identification: 1 }] }, UDP6, 60, 1),
    ).toThrow(RangeError);
    // Destination Options of 2048 bytes cannot all sit in the first fragment (RFC 7112).
    const big: Ipv6Spec = { src: A, dst: B, protocol: 17, extensions: [{ kind: 'dstopts', options: Array.from({ length: 8 }, () => ({ type: 0x1e, data: new Uint8Array(250) })) }] };
    expect(() => fragmentIpv6(big, UDP6, 1280, 1)).toThrow(RangeError);
  });

  it('puts Destination Options before a Routing header in the unfragmentable part', () => {
    expect(unfragmentableCount([{ kind: 'hbh', options: [] }])).toBe(1);
    expect(unfragmentableCount([{ kind: 'dstopts', options: [] }])).toBe(0);
    expect(
      unfragmentableCount([
        { kind: 'hbh', options: [] },
        { kind: 'dstopts', options: [] },
        { kind: 'routing', routingType: 4, segmentsLeft: 0 },
        { kind: 'dstopts', options: [] },
      ]),
    ).toBe(3);
  });
});
