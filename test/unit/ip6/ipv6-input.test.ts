import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/core/bytes.js';
import { h6, icmp6ChecksumOk, ip6hdr, lonelyStack, withIcmp6Checksum } from './helpers.js';

/**
 * IPv6 input validation (RFC 8200) on a TUN-like link: the stack is
 * 2001:db8::2/64, the peer 2001:db8::1. Packets are written out in hex; what
 * the stack answers is compared byte for byte, its ICMPv6 checksum verified
 * by the test's own sum.
 */
const ME = h6('2001:db8::2');
const PEER = h6('2001:db8::1');

/** An echo request PEER → `dst`, id 0x4242 seq 1, data "abcd", after `ext` extension bytes (next header `nh`). */
function echoRequest(o: { dst?: string; nh?: number; ext?: string; hop?: number; src?: string } = {}): string {
  const dst = o.dst ?? ME;
  const src = o.src ?? PEER;
  const icmp = withIcmp6Checksum(src, dst, '8000000042420001' + '61626364');
  const ext = o.ext ?? '';
  return ip6hdr({ plen: ext.length / 2 + 12, nh: o.nh ?? 58, hop: o.hop ?? 64, src, dst, flow: 0x12345 }) + ext + icmp;
}

/** The ICMPv6 message that answers it (type 129), ME → PEER. */
const ECHO_REPLY = withIcmp6Checksum(ME, PEER, '8100000042420001' + '61626364');

/** The expected Parameter Problem ME → PEER about `original`, with the flow label the stack chose. */
function paramProblem(out: Uint8Array, code: number, pointer: number, original: string): string {
  const flow = ((out[1]! & 0x0f) << 16) | (out[2]! << 8) | out[3]!;
  const msg = withIcmp6Checksum(ME, PEER, '04' + code.toString(16).padStart(2, '0') + '0000' + pointer.toString(16).padStart(8, '0') + original);
  return ip6hdr({ flow, plen: msg.length / 2, nh: 58, hop: 64, src: ME, dst: PEER }) + msg;
}

describe('IPv6 input (RFC 8200)', () => {
  it('answers an echo request with the exact reply: hop limit 64, a flow label of its own, the data echoed', () => {
    const { s, out, inject } = lonelyStack();
    inject(echoRequest());
    expect(out).toHaveLength(1);
    const reply = out[0]!;
    const flow = ((reply[1]! & 0x0f) << 16) | (reply[2]! << 8) | reply[3]!;
    expect(flow).not.toBe(0); // RFC 6437 §3 automatic label, not the request's
    expect(toHex(reply)).toBe(ip6hdr({ flow, plen: 12, nh: 58, hop: 64, src: ME, dst: PEER }) + ECHO_REPLY);
    expect(icmp6ChecksumOk(reply)).toBe(true);
    expect(s.countersSnapshot()).toMatchObject({
      Ip6InReceives: 1,
      Ip6InDelivers: 1,
      Ip6InOctets: 52,
      Icmp6InMsgs: 1,
      Icmp6InEchos: 1,
      Icmp6OutMsgs: 1,
      Icmp6OutEchoReplies: 1,
      Ip6OutRequests: 1,
      Ip6OutOctets: 52,
    });
  });

  it('counts every malformed or misaddressed packet under its reason and answers none', () => {
    const cases: [string, string, string][] = [
      ['39 bytes', echoRequest().slice(0, 78), 'ipv6:ipv6-truncated'],
      ['multicast source', echoRequest({ src: h6('ff02::1') }), 'ipv6:martian-source'],
      ['loopback source from a link', echoRequest({ src: h6('::1') }), 'ipv6:martian-loopback'],
      ['loopback destination from a link', echoRequest({ dst: h6('::1') }), 'ipv6:martian-loopback'],
      ['IPv4-mapped source', echoRequest({ src: h6('::ffff:192.0.2.1') }), 'ipv6:martian-v4-mapped'],
      ['multicast scope 0', echoRequest({ dst: h6('ff00::1') }), 'ipv6:bad-multicast-scope'],
      ['interface-local multicast from a link', echoRequest({ dst: h6('ff01::1') }), 'ipv6:bad-multicast-scope'],
    ];
    for (const [name, hex, reason] of cases) {
      const { s, out, inject } = lonelyStack();
      inject(hex);
      expect(out, name).toHaveLength(0);
      expect(s.counters.Ip6InReceives, name).toBe(1);
      expect(s.counters.Ip6InHdrErrors, name).toBe(1);
      expect(s.dropReasons(), name).toEqual({ [reason]: 1 });
    }
    // Payload Length beyond the bytes received: truncated, counted apart (Linux's Ip6InTruncatedPkts).
    const { s, out, inject } = lonelyStack();
    inject(echoRequest().slice(0, -2));
    expect(out).toHaveLength(0);
    expect(s.countersSnapshot()).toMatchObject({ Ip6InReceives: 1, Ip6InTruncatedPkts: 1 });
    expect(s.counters.Ip6InHdrErrors).toBe(0);
  });

  it('drops packets for other hosts and for groups it did not join as address errors (a host does not forward)', () => {
    const { s, out, inject } = lonelyStack();
    inject(echoRequest({ dst: h6('2001:db8::99') }));
    inject(echoRequest({ dst: h6('ff02::1234') }));
    expect(out).toHaveLength(0);
    expect(s.countersSnapshot()).toMatchObject({ Ip6InReceives: 2, Ip6InAddrErrors: 2 });
    expect(s.dropReasons()).toEqual({ 'ipv6:not-for-us': 1, 'ipv6:multicast-not-joined': 1 });
    // ff02::1 is always joined, and a ping to it is answered from our address (Linux: echo_ignore_multicast=0).
    inject(echoRequest({ dst: h6('ff02::1') }));
    expect(out).toHaveLength(1);
    expect(toHex(out[0]!.subarray(8, 40))).toBe(ME + PEER);
    expect(s.counters.Ip6InMcastPkts).toBe(1);
  });

  it('answers an unknown upper-layer protocol with Parameter Problem code 1 pointing at its Next Header', () => {
    const { s, out, inject } = lonelyStack();
    const pkt = ip6hdr({ plen: 4, nh: 253, hop: 64, src: PEER, dst: ME }) + 'deadbeef';
    inject(pkt);
    expect(out.map((f) => toHex(f))).toEqual([paramProblem(out[0]!, 1, 6, pkt)]);
    expect(icmp6ChecksumOk(out[0]!)).toBe(true);
    expect(s.countersSnapshot()).toMatchObject({ Ip6InUnknownProtos: 1, Icmp6OutParmProblems: 1, Icmp6OutMsgs: 1 });
    // The same after a Destination Options header: the pointer names that header's Next Header byte (offset 40).
    const { out: out2, inject: inject2 } = lonelyStack();
    const pkt2 = ip6hdr({ plen: 12, nh: 60, hop: 64, src: PEER, dst: ME }) + 'fd00010400000000' + 'deadbeef';
    inject2(pkt2);
    expect(out2.map((f) => toHex(f))).toEqual([paramProblem(out2[0]!, 1, 40, pkt2)]);
  });

  it('refuses a Hop-by-Hop header anywhere but first (Parameter Problem code 1, RFC 8200 §4.1)', () => {
    const { s, out, inject } = lonelyStack();
    // Fixed header → Destination Options (PadN 4) → Hop-by-Hop → ICMPv6.
    const pkt = echoRequest({ nh: 60, ext: '0000010400000000' + '3a00010400000000' });
    inject(pkt);
    expect(out.map((f) => toHex(f))).toEqual([paramProblem(out[0]!, 1, 40, pkt)]);
    expect(s.dropReasons()).toEqual({ 'ipv6:ipv6-hbh-not-first': 1 });
    // First, it is fine.
    const { out: ok, inject: injectOk } = lonelyStack();
    injectOk(echoRequest({ nh: 0, ext: '3a00010400000000' }));
    expect(toHex(ok[0]!.subarray(40))).toBe(ECHO_REPLY);
  });

  it('rejects routing type 0 with segments left (RFC 5095) with Parameter Problem code 0 at the Routing Type, ignores it with none left', () => {
    const { s, out, inject } = lonelyStack();
    const rh0 = '3a02000100000000' + h6('2001:db8::77'); // type 0, Segments Left 1, one address
    const pkt = echoRequest({ nh: 43, ext: rh0 });
    inject(pkt);
    expect(out.map((f) => toHex(f))).toEqual([paramProblem(out[0]!, 0, 42, pkt)]);
    expect(s.countersSnapshot()).toMatchObject({ Ip6InHdrErrors: 1, Icmp6OutParmProblems: 1 });
    expect(s.dropReasons()).toEqual({ 'ipv6:ipv6-routing-type0': 1 });
    // RFC 8200 §4.4: Segments Left 0 means the header is ignored and the packet processed.
    const { out: ok, inject: injectOk } = lonelyStack();
    injectOk(echoRequest({ nh: 43, ext: '3a02000000000000' + h6('2001:db8::77') }));
    expect(toHex(ok[0]!.subarray(40))).toBe(ECHO_REPLY);
  });

  it('treats unknown options by their two high bits (RFC 8200 §4.2)', () => {
    // Destination Options with one 2-byte option of type T and PadN(2).
    const opt = (t: number): string => '3a00' + t.toString(16).padStart(2, '0') + '02aabb' + '0100';
    // 00: skip — the echo is answered.
    let st = lonelyStack();
    st.inject(echoRequest({ nh: 60, ext: opt(0x1e) }));
    expect(toHex(st.out[0]!.subarray(40))).toBe(ECHO_REPLY);
    // 01: discard silently.
    st = lonelyStack();
    st.inject(echoRequest({ nh: 60, ext: opt(0x5e) }));
    expect(st.out).toHaveLength(0);
    expect(st.s.dropReasons()).toEqual({ 'ipv6:unknown-option': 1 });
    // 10: discard and Parameter Problem code 2 at the option type (offset 42) — even to a multicast destination.
    st = lonelyStack();
    let pkt = echoRequest({ nh: 60, ext: opt(0x9e), dst: h6('ff02::1') });
    st.inject(pkt);
    expect(st.out.map((f) => toHex(f))).toEqual([paramProblem(st.out[0]!, 2, 42, pkt)]);
    // 11: the same, but only when the destination was not multicast.
    st = lonelyStack();
    pkt = echoRequest({ nh: 60, ext: opt(0xde) });
    st.inject(pkt);
    expect(st.out.map((f) => toHex(f))).toEqual([paramProblem(st.out[0]!, 2, 42, pkt)]);
    st = lonelyStack();
    st.inject(echoRequest({ nh: 60, ext: opt(0xde), dst: h6('ff02::1') }));
    expect(st.out).toHaveLength(0);
    expect(st.s.counters.Ip6InHdrErrors).toBe(1);
  });

  it('processes No Next Header (59) as a packet with nothing more to do', () => {
    const { s, out, inject } = lonelyStack();
    inject(ip6hdr({ plen: 0, nh: 59, hop: 64, src: PEER, dst: ME }));
    expect(out).toHaveLength(0);
    expect(s.countersSnapshot()).toMatchObject({ Ip6InReceives: 1, Ip6InDelivers: 1 });
    expect(s.dropReasons()).toEqual({});
  });

  it('never answers an error about an ICMPv6 error, a packet from ::, or a multicast destination (RFC 4443 §2.4 (e))', () => {
    const { s, out, inject } = lonelyStack();
    // An ICMPv6 Destination Unreachable carried after an unknown option of action 11: would get code 2, but it is an error.
    const du = withIcmp6Checksum(PEER, ME, '0104000000000000' + ip6hdr({ plen: 0, nh: 59, hop: 64, src: ME, dst: PEER }));
    inject(ip6hdr({ plen: 8 + du.length / 2, nh: 60, hop: 64, src: PEER, dst: ME }) + '3a00de02aabb0100' + du);
    // An unknown protocol from :: (no single node to tell).
    inject(ip6hdr({ plen: 4, nh: 253, hop: 64, src: h6('::'), dst: ME }) + 'deadbeef');
    // An unknown protocol to a group.
    inject(ip6hdr({ plen: 4, nh: 253, hop: 64, src: PEER, dst: h6('ff02::1') }) + 'deadbeef');
    expect(out).toHaveLength(0);
    expect(s.counters.Icmp6OutMsgs).toBe(0);
    expect(s.counters.Ip6InUnknownProtos).toBe(2);
  });

  it('quotes at most what keeps the error within 1280 bytes (RFC 4443 §2.4 (c))', () => {
    const { out, inject } = lonelyStack();
    const big = ip6hdr({ plen: 1400, nh: 253, hop: 64, src: PEER, dst: ME }) + 'ab'.repeat(1400);
    inject(big);
    expect(out).toHaveLength(1);
    expect(out[0]!.length).toBe(1280);
    expect(toHex(out[0]!.subarray(48))).toBe(big.slice(0, (1280 - 48) * 2));
    expect(icmp6ChecksumOk(out[0]!)).toBe(true);
  });

  it('ignores trailing link padding after Payload Length', () => {
    const { out, inject } = lonelyStack();
    inject(fromHex(echoRequest() + '000000000000'));
    expect(toHex(out[0]!.subarray(40))).toBe(ECHO_REPLY);
  });
});
