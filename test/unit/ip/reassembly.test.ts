import { describe, expect, it } from 'vitest';
import { parseIPv4, parseIPv6 } from '../../../src/core/address.js';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import { VirtualClock } from '../../../src/core/clock.js';
import { SeededRandom } from '../../../src/core/random.js';
import { TimerScheduler } from '../../../src/core/scheduler.js';
import { buildIpv4, parseIpv4 } from '../../../src/ip/ipv4-header.js';
import { buildIpv6, parseIpv6, walkIpv6Extensions } from '../../../src/ip/ipv6-header.js';
import {
  ReassemblyBuffer,
  type ReassemblyOptions,
  type ReassemblyResult,
  type ReassemblyTimeout,
} from '../../../src/ip/reassembly.js';

// The fragments and whole datagrams below come from the independent python3
// script described in fragmenter.test.ts; tshark reassembled the same
// fragments into the same datagrams (IPv4 checksum and UDP checksums "Good").
const FIXED = '20010db8000000000000000000000001' + '20010db8000000000000000000000002';
const HBH = '2b00050200000100';
const V6_FRAGS = [
  '60000000003800' + '40' + FIXED + HBH + '2c00fd0000000000' + '3c00000101020304' +
    '11001e04010203040007000900443a5a000102030405060708090a0b0c0d0e0f',
  '60000000003800' + '40' + FIXED + HBH + '2c00fd0000000000' + '3c00002101020304' +
    '101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f',
  '60000000002400' + '40' + FIXED + HBH + '2c00fd0000000000' + '3c00004001020304' + '303132333435363738393a3b',
];
// The unfragmented packet: Payload Length 0x5c, the Routing header's Next Header back to 60.
const V6_WHOLE =
  '60000000005c0040' + FIXED + HBH + '3c00fd0000000000' + '11001e04010203040007000900443a5a' +
  '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b';
const V4_FRAGS = [
  '48000040424220004011f25bc0000201c00002029404000007070400000000000fa00fa10064acf000070e151c232a31383f464d545b626970777e858c939aa1',
  '46000040424220044011ff5ec0000201c000020294040000a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969da4abb2b9',
  '460000344242000940111f66c0000201c000020294040000c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a61686f767d',
];
// The first fragment's header (with both options), total length 0x84, MF clear, checksum 0x1218.
const V4_WHOLE =
  '480000844242000040111218c0000201c00002029404000007070400000000000fa00fa10064acf000070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b222930373e454c535a61686f767d';

const S4 = parseIPv4('192.0.2.1')!;
const D4 = parseIPv4('192.0.2.2')!;
const A = parseIPv6('2001:db8::1')!;
const B = parseIPv6('2001:db8::2')!;

function setup(opts: Partial<ReassemblyOptions> = {}) {
  const clock = new VirtualClock();
  const timers = new TimerScheduler(clock);
  const timeouts: ReassemblyTimeout[] = [];
  const buf = new ReassemblyBuffer({ timers, random: new SeededRandom(1), onTimeout: (e) => timeouts.push(e), ...opts });
  return { clock, timers, buf, timeouts };
}

function feed4(buf: ReassemblyBuffer, pkt: Uint8Array): ReassemblyResult {
  const h = parseIpv4(pkt);
  if (!h.ok) throw new Error(h.reason);
  return buf.acceptIpv4(pkt, h.value);
}

function feed6(buf: ReassemblyBuffer, pkt: Uint8Array): ReassemblyResult {
  const p = parseIpv6(pkt);
  if (!p.ok) throw new Error(p.reason);
  const w = walkIpv6Extensions(pkt, p.value.nextHeader, 40, 40 + p.value.payloadLength);
  if (!w.ok || w.value.fragment === null) throw new Error('not a fragment');
  return buf.acceptIpv6(pkt, p.value, w.value.fragment);
}

/** An IPv6 fragment A -> B with the Fragment header right after the fixed header. */
function frag6(offset: number, more: boolean, data: Uint8Array, id = 1, src = A, nh = 17): Uint8Array {
  return buildIpv6({ src, dst: B, protocol: nh, extensions: [{ kind: 'fragment', offset, more, identification: id }] }, data);
}

function frag4(offset: number, mf: boolean, data: Uint8Array, id = 1, protocol = 17): Uint8Array {
  return buildIpv4({ src: S4, dst: D4, protocol, id, mf, fragmentOffset: offset }, data);
}

const bytes = (n: number, seed = 0) => new Uint8Array(n).map((_, i) => (i * 13 + seed) & 0xff);

function completed(r: ReassemblyResult): string {
  if (r.status !== 'complete') throw new Error(`expected complete, got ${JSON.stringify(r)}`);
  return toHex(r.packet);
}

describe('reassembly: IPv4', () => {
  it('reassembles in order into the first fragment header with MF cleared and a fresh checksum', () => {
    const { buf } = setup();
    expect(feed4(buf, fromHex(V4_FRAGS[0]!))).toEqual({ status: 'pending' });
    expect(feed4(buf, fromHex(V4_FRAGS[1]!))).toEqual({ status: 'pending' });
    const r = feed4(buf, fromHex(V4_FRAGS[2]!));
    expect(completed(r)).toBe(V4_WHOLE);
    expect(r).toMatchObject({ fragments: 3, atomic: false });
    expect(buf.datagrams).toBe(0);
    expect(buf.memory).toBe(0);
  });

  it('reassembles out of order, the options coming from the first fragment', () => {
    const { buf } = setup();
    expect(feed4(buf, fromHex(V4_FRAGS[2]!)).status).toBe('pending');
    expect(feed4(buf, fromHex(V4_FRAGS[1]!)).status).toBe('pending');
    expect(completed(feed4(buf, fromHex(V4_FRAGS[0]!)))).toBe(V4_WHOLE);
  });

  it('passes a non-fragment through untouched', () => {
    const { buf } = setup();
    const d = buildIpv4({ src: S4, dst: D4, protocol: 17 }, bytes(8));
    const r = feed4(buf, d);
    expect(r).toMatchObject({ status: 'complete', atomic: true, fragments: 1 });
    expect(completed(r)).toBe(toHex(d));
  });

  it('trims a non-last fragment to 8-byte units, as Linux does', () => {
    const { buf } = setup();
    const data = bytes(40);
    expect(feed4(buf, frag4(0, true, data.subarray(0, 19))).status).toBe('pending'); // 16 kept
    const r = feed4(buf, frag4(16, false, data.subarray(16)));
    const p = parseIpv4(fromHex(completed(r)));
    expect(p.ok && toHex(p.value.payload)).toBe(toHex(data));
  });

  it('drops tiny first TCP fragments and TCP fragments at offset 8 (RFC 1858)', () => {
    const { buf } = setup();
    expect(feed4(buf, frag4(0, true, bytes(16), 1, 6))).toMatchObject({ status: 'dropped', reason: 'frag-tiny-first' });
    expect(feed4(buf, frag4(8, true, bytes(16), 1, 6))).toMatchObject({ status: 'dropped', reason: 'frag-tcp-offset-one' });
    // UDP needs only its 8-byte header.
    expect(feed4(buf, frag4(0, true, bytes(8), 1, 17)).status).toBe('pending');
    expect(buf.datagrams).toBe(1);
  });

  it('discards a datagram that would exceed 65535 bytes', () => {
    const { buf } = setup();
    expect(feed4(buf, frag4(65512, false, bytes(8)))).toMatchObject({ status: 'dropped', reason: 'frag-too-long' });
    expect(feed4(buf, frag4(65504, false, bytes(8))).status).toBe('pending');
  });

  it('keys by source, destination, protocol and id', () => {
    const { buf } = setup();
    const data = bytes(16);
    expect(feed4(buf, frag4(0, true, data.subarray(0, 8), 5, 17)).status).toBe('pending');
    expect(feed4(buf, frag4(8, false, data.subarray(8), 5, 132)).status).toBe('pending'); // other protocol
    expect(feed4(buf, frag4(8, false, data.subarray(8), 6, 17)).status).toBe('pending'); // other id
    expect(buf.datagrams).toBe(3);
    expect(feed4(buf, frag4(8, false, data.subarray(8), 5, 17)).status).toBe('complete');
    expect(buf.datagrams).toBe(2);
  });

  it('times out after 30 s and reports the first fragment for Time Exceeded', () => {
    const { buf, clock, timeouts } = setup();
    const first = fromHex(V4_FRAGS[0]!);
    feed4(buf, first);
    feed4(buf, fromHex(V4_FRAGS[2]!));
    clock.advance(29_999_999);
    expect(timeouts).toHaveLength(0);
    clock.advance(1);
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]).toMatchObject({ family: 4, src: S4, dst: D4, protocol: 17, id: 0x4242, fragments: 2 });
    expect(toHex(timeouts[0]!.firstFragment!)).toBe(V4_FRAGS[0]);
    expect(buf.datagrams).toBe(0);
    expect(buf.memory).toBe(0);
    // The late fragment starts a new datagram.
    expect(feed4(buf, fromHex(V4_FRAGS[1]!)).status).toBe('pending');
  });
});

describe('reassembly: IPv6', () => {
  it('reassembles the unfragmentable part and the fragmentable part', () => {
    const { buf } = setup();
    expect(feed6(buf, fromHex(V6_FRAGS[1]!)).status).toBe('pending');
    expect(feed6(buf, fromHex(V6_FRAGS[2]!)).status).toBe('pending');
    const r = feed6(buf, fromHex(V6_FRAGS[0]!));
    expect(completed(r)).toBe(V6_WHOLE);
    expect(r).toMatchObject({ fragments: 3, atomic: false });
  });

  it('ignores exact and contained duplicates (RFC 5722 erratum 3089)', () => {
    const { buf } = setup();
    const data = bytes(48);
    expect(feed6(buf, frag6(0, true, data.subarray(0, 24))).status).toBe('pending');
    expect(feed6(buf, frag6(0, true, data.subarray(0, 24)))).toEqual({
      status: 'dropped',
      reason: 'frag-duplicate',
      datagramDiscarded: false,
      icmp: null,
    });
    expect(feed6(buf, frag6(8, true, data.subarray(8, 16)))).toMatchObject({ reason: 'frag-duplicate' });
    expect(completed(feed6(buf, frag6(24, false, data.subarray(24))))).toBe(
      toHex(buildIpv6({ src: A, dst: B, protocol: 17 }, data)),
    );
  });

  it('discards the whole datagram on an overlap (RFC 5722)', () => {
    const { buf } = setup();
    const data = bytes(48);
    expect(feed6(buf, frag6(0, true, data.subarray(0, 24))).status).toBe('pending');
    expect(feed6(buf, frag6(16, true, data.subarray(16, 32)))).toEqual({
      status: 'dropped',
      reason: 'frag-overlap',
      datagramDiscarded: true,
      icmp: null,
    });
    expect(buf.datagrams).toBe(0);
    expect(buf.memory).toBe(0);
    // The rest cannot complete it: what was received is gone.
    expect(feed6(buf, frag6(24, false, data.subarray(24))).status).toBe('pending');
  });

  it('treats a fragment that spans a hole as an overlap', () => {
    const { buf } = setup();
    expect(feed6(buf, frag6(0, true, bytes(8))).status).toBe('pending');
    expect(feed6(buf, frag6(16, true, bytes(8))).status).toBe('pending');
    expect(feed6(buf, frag6(0, true, bytes(24)))).toMatchObject({ reason: 'frag-overlap', datagramDiscarded: true });
  });

  it('passes an atomic fragment straight through without touching a datagram in progress (RFC 6946)', () => {
    const { buf } = setup();
    const data = bytes(16);
    expect(feed6(buf, frag6(0, true, data.subarray(0, 8), 9)).status).toBe('pending');
    const r = feed6(buf, frag6(0, false, bytes(12, 5), 9));
    expect(r).toMatchObject({ status: 'complete', atomic: true, fragments: 1 });
    expect(completed(r)).toBe(toHex(buildIpv6({ src: A, dst: B, protocol: 17 }, bytes(12, 5))));
    expect(buf.datagrams).toBe(1);
    expect(feed6(buf, frag6(8, false, data.subarray(8), 9)).status).toBe('complete');
  });

  it('drops an incomplete first fragment with Parameter Problem code 3 (RFC 8200 §4.5, RFC 7112)', () => {
    const { buf } = setup();
    // UDP needs 8 header bytes; this first fragment has Destination Options and 0 of them...
    const p = buildIpv6(
      { src: A, dst: B, protocol: 17, extensions: [{ kind: 'fragment', offset: 0, more: true, identification: 3 }, { kind: 'dstopts', options: [] }] },
      new Uint8Array(0),
    );
    expect(feed6(buf, p)).toEqual({
      status: 'dropped',
      reason: 'frag-tiny-first',
      datagramDiscarded: false,
      icmp: { code: 3, pointer: 0 },
    });
    // ...and a chain cut inside an extension header is incomplete too.
    const cut = buildIpv6(
      { src: A, dst: B, protocol: 17, extensions: [{ kind: 'fragment', offset: 0, more: true, identification: 3 }, { kind: 'dstopts', options: [{ type: 0x1e, data: new Uint8Array(12) }] }] },
      new Uint8Array(0),
    ).slice(0, 56);
    cut[5] = 16; // Payload Length: the Fragment header and half of the 16-byte Destination Options
    expect(feed6(buf, cut)).toMatchObject({ reason: 'frag-tiny-first' });
    // TCP needs 20.
    expect(feed6(buf, frag6(0, true, bytes(16), 4, A, 6))).toMatchObject({ reason: 'frag-tiny-first' });
    expect(feed6(buf, frag6(0, true, bytes(24), 4, A, 6)).status).toBe('pending');
  });

  it('refuses a non-last fragment that is not a multiple of 8, pointing at Payload Length', () => {
    const { buf } = setup();
    expect(feed6(buf, frag6(0, true, bytes(12)))).toEqual({
      status: 'dropped',
      reason: 'frag-bad-length',
      datagramDiscarded: false,
      icmp: { code: 0, pointer: 4 },
    });
  });

  it('refuses a fragment reaching past 65535, pointing at the Fragment Offset', () => {
    const { buf } = setup();
    expect(feed6(buf, frag6(65528, false, bytes(16)))).toEqual({
      status: 'dropped',
      reason: 'frag-too-long',
      datagramDiscarded: false,
      icmp: { code: 0, pointer: 42 },
    });
  });

  it('discards a datagram whose fragments contradict its end', () => {
    const { buf } = setup();
    expect(feed6(buf, frag6(16, false, bytes(8))).status).toBe('pending');
    expect(feed6(buf, frag6(32, false, bytes(8)))).toMatchObject({ reason: 'frag-bad-end', datagramDiscarded: true });
    expect(feed6(buf, frag6(16, false, bytes(8))).status).toBe('pending');
    expect(feed6(buf, frag6(24, true, bytes(8)))).toMatchObject({ reason: 'frag-bad-end', datagramDiscarded: true });
    expect(feed6(buf, frag6(24, true, bytes(8))).status).toBe('pending');
    expect(feed6(buf, frag6(8, false, bytes(8)))).toMatchObject({ reason: 'frag-bad-end', datagramDiscarded: true });
    expect(feed6(buf, frag6(8, true, new Uint8Array(0)))).toMatchObject({ reason: 'frag-empty' });
  });

  it('times out after 60 s; without the first fragment there is nothing to quote', () => {
    const { buf, clock, timeouts } = setup();
    feed6(buf, frag6(8, false, bytes(8), 77));
    clock.advance(59_999_999);
    expect(timeouts).toHaveLength(0);
    clock.advance(1);
    expect(timeouts).toHaveLength(1);
    expect(timeouts[0]).toMatchObject({ family: 6, protocol: 17, id: 77, firstFragment: null, fragments: 1 });
    expect(toHex(timeouts[0]!.src as Uint8Array)).toBe(toHex(A));
  });

  it('quotes the first fragment as received, and honours configured timeouts', () => {
    const { buf, clock, timeouts } = setup({ timeoutV6Us: 1_000 });
    const first = frag6(0, true, bytes(16), 5);
    feed6(buf, first);
    clock.advance(1_000);
    expect(toHex(timeouts[0]!.firstFragment!)).toBe(toHex(first));
  });
});

describe('reassembly: limits', () => {
  it('refuses fragments once the total memory cap is reached, and frees memory on completion', () => {
    const { buf } = setup({ maxMemory: 1500 });
    let refused = 0;
    for (let id = 0; id < 10; id++) {
      const r = feed6(buf, frag6(0, true, bytes(200), id));
      if (r.status === 'dropped') {
        expect(r.reason).toBe('frag-memory');
        refused++;
      }
      expect(buf.memory).toBeLessThanOrEqual(1500);
    }
    expect(refused).toBeGreaterThan(0);
    const held = buf.datagrams;
    expect(feed6(buf, frag6(200, false, bytes(8), 0)).status).toBe('complete');
    expect(buf.datagrams).toBe(held - 1);
  });

  it('discards a datagram over its fragment-count or memory cap', () => {
    const { buf } = setup({ maxFragments: 2 });
    expect(feed6(buf, frag6(0, true, bytes(8))).status).toBe('pending');
    expect(feed6(buf, frag6(8, true, bytes(8))).status).toBe('pending');
    expect(feed6(buf, frag6(16, true, bytes(8)))).toMatchObject({ reason: 'frag-datagram-limit', datagramDiscarded: true });
    expect(buf.datagrams).toBe(0);
    const small = setup({ maxDatagramMemory: 1000 }).buf;
    expect(feed6(small, frag6(0, true, bytes(512))).status).toBe('pending');
    expect(feed6(small, frag6(512, true, bytes(512)))).toMatchObject({ reason: 'frag-datagram-limit' });
    expect(small.memory).toBe(0);
  });

  it('clear() drops everything and stops the timers', () => {
    const { buf, clock, timers, timeouts } = setup();
    feed6(buf, frag6(0, true, bytes(8), 1));
    feed4(buf, frag4(0, true, bytes(8), 1));
    expect(timers.size).toBe(2);
    buf.clear();
    expect(buf.datagrams).toBe(0);
    expect(buf.memory).toBe(0);
    expect(timers.size).toBe(0);
    clock.advance(120_000_000);
    expect(timeouts).toHaveLength(0);
  });
});
