import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { buildIcmpv4Error } from '../../../src/icmp/icmpv4-header.js';
import { buildIpv4, type Ipv4Spec } from '../../../src/ip/ipv4-header.js';
import type { IcmpErrorReport } from '../../../src/ip/types.js';
import { stackUnderTest } from '../../helpers/stacks.js';

const ME = 0xc0000202;
const PEER = 0xc0000201;

const setup = (): ReturnType<typeof stackUnderTest> => stackUnderTest();

const proto253 = (spec: Partial<Ipv4Spec> = {}, data = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9)): Uint8Array =>
  buildIpv4({ src: PEER, dst: ME, protocol: 253, id: 0x4242, df: true, ...spec }, data);

describe('ICMPv4 destination unreachable (RFC 1122 §3.2.2)', () => {
  it('answers an unknown protocol with protocol unreachable quoting the whole datagram', () => {
    const { stack, out, inject } = setup();
    const dgram = proto253();
    inject(dgram);
    expect(out).toHaveLength(1);
    const e = out[0]!;
    // IP: TOS 0xc0 (internetwork control, as Linux), TTL 64, ICMP, from the address the datagram was sent to.
    expect(toHex(e.subarray(0, 2))).toBe('45c0');
    expect((e[2]! << 8) | e[3]!).toBe(20 + 8 + dgram.length);
    expect(toHex(e.subarray(8, 10))).toBe('4001');
    expect(toHex(e.subarray(12, 20))).toBe('c0000202c0000201');
    // ICMP: type 3 code 2, unused rest-of-header, then the original datagram.
    const want = buildIcmpv4Error({ type: 3, code: 2, original: dgram });
    expect(toHex(e.subarray(20))).toBe(toHex(want));
    expect(stack.counters.IcmpOutDestUnreachs).toBe(1);
    expect(stack.counters.IpInUnknownProtos).toBe(1);
  });

  it('never sends one about an ICMP error, a broadcast, a multicast, a non-first fragment or a non-host source', () => {
    const { stack, out, inject } = setup();
    const innerErr = buildIcmpv4Error({ type: 3, code: 3, original: proto253({ src: ME, dst: PEER }) });
    inject(buildIpv4({ src: PEER, dst: ME, protocol: 1 }, innerErr)); // an ICMP error about our packet: reported, not answered
    inject(proto253({ dst: 0xffffffff }));
    inject(proto253({ dst: 0xc00002ff }));
    inject(proto253({ dst: 0xe0000001 }));
    inject(proto253({ fragmentOffset: 8, df: false }));
    inject(proto253({ src: 0 }));
    expect(out).toHaveLength(0);
    expect(stack.counters.IcmpOutDestUnreachs).toBe(0);
  });

  it('rate-limits errors per destination: a burst of 6, then one per second (Linux icmp_ratelimit)', () => {
    const { clock, stack, out, inject } = setup();
    for (let i = 0; i < 10; i++) inject(proto253({ id: i }));
    expect(out).toHaveLength(6);
    expect(stack.counters.IcmpOutRateLimitHost).toBe(4);
    clock.advance(1_000_000);
    inject(proto253({ id: 99 }));
    inject(proto253({ id: 100 }));
    expect(out).toHaveLength(7);
  });
});

describe('ICMPv4 errors received', () => {
  it('are handed to the transport of the quoted datagram with kind, errno and MTU', () => {
    const { stack, inject } = setup();
    const reports: IcmpErrorReport[] = [];
    stack.ip.registerErrorHandler(253, (r) => reports.push(r));
    const ours = proto253({ src: ME, dst: 0xc6336401 });
    inject(buildIpv4({ src: PEER, dst: ME, protocol: 1 }, buildIcmpv4Error({ type: 3, code: 4, mtu: 1280, original: ours })));
    inject(buildIpv4({ src: PEER, dst: ME, protocol: 1 }, buildIcmpv4Error({ type: 3, code: 3, original: ours })));
    inject(buildIpv4({ src: PEER, dst: ME, protocol: 1 }, buildIcmpv4Error({ type: 11, code: 0, original: ours })));
    expect(reports.map((r) => [r.kind, r.errno, r.mtu, r.dst, r.protocol])).toEqual([
      ['frag-needed', 'EMSGSIZE', 1280, 0xc6336401, 253],
      ['port-unreachable', 'ECONNREFUSED', 0, 0xc6336401, 253],
      ['time-exceeded', 'EHOSTUNREACH', 0, 0xc6336401, 253],
    ]);
    expect(toHex(reports[0]!.quoted.subarray(0, 8))).toBe('0102030405060708');
    expect(stack.counters.IcmpInDestUnreachs).toBe(2);
    expect(stack.counters.IcmpInTimeExcds).toBe(1);
  });

  it('drops errors whose quote is too short to name a transport, counted', () => {
    const { stack, inject } = setup();
    const bad = buildIcmpv4Error({ type: 3, code: 3, original: proto253().subarray(0, 24) });
    inject(buildIpv4({ src: PEER, dst: ME, protocol: 1 }, bad));
    expect(stack.counters.IcmpInErrors).toBe(1);
    expect(stack.dropReasons()).toEqual({ 'icmp:icmpv4-quote-truncated': 1 });
  });
});
