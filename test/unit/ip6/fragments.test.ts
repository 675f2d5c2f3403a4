import { describe, expect, it } from 'vitest';
import { fromHex, readU16, readU32, toHex } from '../../../src/core/bytes.js';
import { PacketBuffer } from '../../../src/core/packet-buffer.js';
import { fragmentIpv6 } from '../../../src/ip/fragmenter.js';
import { parseIpv6, walkIpv6Extensions } from '../../../src/ip/ipv6-header.js';
import { h6, icmp6ChecksumOk, ip6hdr, ipPair, lonelyStack, withIcmp6Checksum } from './helpers.js';

/**
 * IPv6 fragments in and out of the stack (RFC 8200 §4.5): reassembly with
 * its refusals (RFC 5722 overlaps, RFC 7112 tiny first fragments, lengths),
 * atomic fragments (RFC 6946), the 60 s timeout with Time Exceeded, and
 * source fragmentation of what the stack sends.
 */
const ME = h6('2001:db8::2');
const PEER = h6('2001:db8::1');

/** An echo request PEER → ME carrying `n` data bytes (i & 0xff), with its checksum. */
function echoMessage(n: number, id = 0x4242): Uint8Array {
  let data = '';
  for (let i = 0; i < n; i++) data += (i & 0xff).toString(16).padStart(2, '0');
  return fromHex(withIcmp6Checksum(PEER, ME, '80000000' + id.toString(16).padStart(4, '0') + '0001' + data));
}

function fragments(msg: Uint8Array, mtu: number, ident: number): Uint8Array[] {
  return fragmentIpv6({ src: fromHex(PEER), dst: fromHex(ME), protocol: 58, hopLimit: 64 }, msg, mtu, ident);
}

/** A fragment written by hand: Fragment header (next 58) with `offset` (bytes), M and `ident`, then `data`. */
function fragment(offset: number, more: boolean, ident: number, data: string): string {
  const offMore = (offset | (more ? 1 : 0)).toString(16).padStart(4, '0');
  return ip6hdr({ plen: 8 + data.length / 2, nh: 44, hop: 64, src: PEER, dst: ME }) + '3a00' + offMore + ident.toString(16).padStart(8, '0') + data;
}

describe('IPv6 reassembly in the stack', () => {
  it('reassembles an echo request in any order and answers it once', () => {
    const msg = echoMessage(600);
    const frags = fragments(msg, 256, 0x01020304);
    expect(frags).toHaveLength(3);
    const { s, out, inject } = lonelyStack();
    inject(frags[2]!);
    inject(frags[0]!);
    expect(out).toHaveLength(0);
    inject(frags[1]!);
    expect(out).toHaveLength(1);
    // The reply carries the whole data unfragmented (608 bytes fit the 1500 MTU).
    expect(out[0]!.length).toBe(40 + 608);
    expect(toHex(out[0]!.subarray(44))).toBe(toHex(msg.subarray(4)));
    expect(icmp6ChecksumOk(out[0]!)).toBe(true);
    expect(s.countersSnapshot()).toMatchObject({ Ip6InReceives: 3, Ip6ReasmReqds: 3, Ip6ReasmOKs: 1, Ip6InDelivers: 1, Icmp6InEchos: 1 });
    expect(s.ip.reassembly.datagrams).toBe(0);
  });

  it('takes an atomic fragment (offset 0, M 0) as a whole packet without touching a datagram of the same id (RFC 6946)', () => {
    const { s, out, inject } = lonelyStack();
    const frags = fragments(echoMessage(600), 256, 7);
    inject(frags[0]!);
    const small = toHex(echoMessage(4, 0x1111));
    inject(fragment(0, false, 7, small));
    expect(out).toHaveLength(1);
    expect(toHex(out[0]!.subarray(40, 41))).toBe('81');
    expect(readU16(out[0]!, 44)).toBe(0x1111);
    expect(s.ip.reassembly.datagrams).toBe(1); // the other datagram is still waiting
    inject(frags[1]!);
    inject(frags[2]!);
    expect(out).toHaveLength(2);
    expect(s.countersSnapshot()).toMatchObject({ Ip6ReasmReqds: 4, Ip6ReasmOKs: 2 });
  });

  it('discards a datagram whose fragments overlap (RFC 5722) and ignores exact duplicates', () => {
    const { s, out, inject } = lonelyStack();
    const data = echoMessage(40); // 48 bytes
    const hex = toHex(data);
    inject(fragment(0, true, 9, hex.slice(0, 48))); // bytes 0..24
    inject(fragment(0, true, 9, hex.slice(0, 48))); // duplicate: ignored
    inject(fragment(16, false, 9, hex.slice(32))); // bytes 16..48 overlap 16..24: the datagram goes
    expect(out).toHaveLength(0);
    expect(s.dropReasons()).toEqual({ 'ipv6:frag-duplicate': 1, 'ipv6:frag-overlap': 1 });
    expect(s.countersSnapshot()).toMatchObject({ Ip6ReasmReqds: 3, Ip6ReasmFails: 1 });
    expect(s.ip.reassembly.datagrams).toBe(0);
  });

  it('refuses a first fragment without the whole header chain (RFC 7112): Parameter Problem code 3, pointer 0', () => {
    const { s, out, inject } = lonelyStack();
    // The fragmentable part starts with a Destination Options header (8 bytes); the ICMPv6 header would follow in fragment 2.
    const first = ip6hdr({ plen: 16, nh: 44, hop: 64, src: PEER, dst: ME }) + '3c000001' + '00000005' + '3a00010400000000';
    inject(first);
    expect(out).toHaveLength(1);
    const err = out[0]!;
    expect(toHex(err.subarray(40, 48))).toBe('0403' + toHex(err.subarray(42, 44)) + '00000000');
    expect(toHex(err.subarray(48))).toBe(first);
    expect(icmp6ChecksumOk(err)).toBe(true);
    expect(s.countersSnapshot()).toMatchObject({ Ip6InHdrErrors: 1, Icmp6OutParmProblems: 1 });
    expect(s.dropReasons()).toEqual({ 'ipv6:frag-tiny-first': 1 });
  });

  it('refuses a non-last fragment that is not a multiple of 8 bytes (code 0, pointer 4) and one reaching past 65535 (pointer 42)', () => {
    const { s, out, inject } = lonelyStack();
    inject(fragment(0, true, 3, toHex(echoMessage(5))));
    expect(toHex(out[0]!.subarray(40, 48))).toBe('0400' + toHex(out[0]!.subarray(42, 44)) + '00000004');
    inject(fragment(65528, false, 3, 'aa'.repeat(16)));
    expect(toHex(out[1]!.subarray(40, 48))).toBe('0400' + toHex(out[1]!.subarray(42, 44)) + '0000002a');
    expect(s.dropReasons()).toEqual({ 'ipv6:frag-bad-length': 1, 'ipv6:frag-too-long': 1 });
    expect(s.counters.Ip6InHdrErrors).toBe(2);
  });

  it('gives up after 60 s and sends Time Exceeded code 1 quoting the first fragment (RFC 8200 §4.5)', () => {
    const { clock, s, out, inject } = lonelyStack();
    const frags = fragments(echoMessage(600), 256, 0x55);
    inject(frags[0]!);
    inject(frags[2]!);
    clock.advance(59_999_999);
    expect(out).toHaveLength(0);
    clock.advance(1);
    expect(out).toHaveLength(1);
    const err = out[0]!;
    const flow = ((err[1]! & 0x0f) << 16) | readU16(err, 2);
    const msg = withIcmp6Checksum(ME, PEER, '0301000000000000' + toHex(frags[0]!));
    expect(toHex(err)).toBe(ip6hdr({ flow, plen: msg.length / 2, nh: 58, hop: 64, src: ME, dst: PEER }) + msg);
    expect(s.countersSnapshot()).toMatchObject({ Ip6ReasmReqds: 2, Ip6ReasmTimeout: 1, Ip6ReasmFails: 1, Icmp6OutTimeExcds: 1 });
    // Without the first fragment, no error (nothing to quote that identifies the flow).
    const other = lonelyStack();
    other.inject(frags[1]!);
    other.clock.advance(60_000_000);
    expect(other.out).toHaveLength(0);
    expect(other.s.counters.Ip6ReasmTimeout).toBe(1);
  });
});

describe('IPv6 fragmentation at the source', () => {
  it('fragments a large echo and its reply to the link MTU, with one identification per datagram', async () => {
    const { clock, a, b, ra, rb } = ipPair({ ipv6A: ['2001:db8::1/64'], ipv6B: ['2001:db8::2/64'], configA: { routerSolicitations: 0, mldReports: false }, configB: { routerSolicitations: 0, mldReports: false } });
    clock.runUntilIdle();
    ra.clear();
    rb.clear();
    const data = new Uint8Array(3000).map((_, i) => i * 13);
    const p = a.ping6('2001:db8::2', { identifier: 9, sequence: 1, data });
    clock.runUntilIdle();
    const reply = await p;
    expect(toHex(reply.data)).toBe(toHex(data));
    // 3008 bytes of ICMPv6 in pieces of (1500 - 40 - 8) & ~7 = 1448: 1448, 1448, 112.
    for (const sent of [ra.sent, rb.sent]) {
      const pkts = sent.map((s) => fromHex(s.frame));
      const shape = pkts.map((f) => {
        const h = parseIpv6(f);
        const w = walkIpv6Extensions(f);
        if (!h.ok || !w.ok || w.value.fragment === null) return null;
        return [f.length, h.value.nextHeader, w.value.fragment.offset, w.value.fragment.more, w.value.fragment.nextHeader];
      });
      expect(shape).toEqual([
        [1496, 44, 0, true, 58],
        [1496, 44, 1448, true, 58],
        [160, 44, 2896, false, 58],
      ]);
      expect(new Set(pkts.map((f) => readU32(f, 44))).size).toBe(1);
    }
    expect(a.counters).toMatchObject({ Ip6FragOKs: 1, Ip6FragCreates: 3, Ip6ReasmReqds: 3, Ip6ReasmOKs: 1 });
    expect(b.counters).toMatchObject({ Ip6FragOKs: 1, Ip6FragCreates: 3, Ip6ReasmReqds: 3, Ip6ReasmOKs: 1 });
    a.close();
    b.close();
  });

  it('refuses with EMSGSIZE when the sender forbids fragmentation (IPV6_DONTFRAG, TCP)', () => {
    const { s, clock, out } = lonelyStack();
    const pkt = PacketBuffer.alloc(1461);
    expect(s.ip.send({ dst: fromHex(PEER), protocol: 253, dontFragment: true }, pkt)).toBe('EMSGSIZE');
    expect(s.counters.Ip6FragFails).toBe(1);
    const fits = PacketBuffer.alloc(1460);
    expect(s.ip.send({ dst: fromHex(PEER), protocol: 253, dontFragment: true }, fits)).toBe('ok');
    clock.runDue();
    expect(out.map((f) => f.length)).toEqual([1500]);
  });
});

