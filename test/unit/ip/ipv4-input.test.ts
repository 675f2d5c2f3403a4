import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { buildIcmpv4Echo } from '../../../src/icmp/icmpv4-header.js';
import { buildIpv4, type Ipv4Spec } from '../../../src/ip/ipv4-header.js';
import { stackUnderTest } from '../../helpers/stacks.js';

const ME = 0xc0000202;
const PEER = 0xc0000201;

const setup = (): ReturnType<typeof stackUnderTest> => stackUnderTest();

const echo = (spec: Partial<Ipv4Spec> = {}): Uint8Array =>
  buildIpv4({ src: PEER, dst: ME, protocol: 1, ...spec }, buildIcmpv4Echo({ identifier: 1, sequence: 1 }));

describe('IPv4 input validation (RFC 1122 §3.2.1)', () => {
  it('delivers a valid datagram and answers it', () => {
    const { stack, out, inject } = setup();
    inject(echo());
    expect(out).toHaveLength(1);
    expect(stack.counters.IpInReceives).toBe(1);
    expect(stack.counters.IpInDelivers).toBe(1);
  });

  const cases: [string, (b: Uint8Array) => Uint8Array, string, string][] = [
    ['short header', (b) => b.subarray(0, 19), 'ipv4:ipv4-truncated', 'IpInHdrErrors'],
    ['version 5', (b) => ((b[0] = 0x55), b), 'ipv4:ipv4-bad-version', 'IpInHdrErrors'],
    ['IHL 4', (b) => ((b[0] = 0x44), b), 'ipv4:ipv4-bad-ihl', 'IpInHdrErrors'],
    ['bad checksum', (b) => ((b[10]! ^= 0x01), b), 'ipv4:ipv4-bad-checksum', 'IpExtInCsumErrors'],
    ['total length beyond the frame', (b) => b.subarray(0, b.length - 1), 'ipv4:ipv4-truncated-packet', 'IpExtInTruncatedPkts'],
  ];
  for (const [name, mutate, reason, counter] of cases) {
    it(`drops ${name}, counted as ${reason} and ${counter}, silently`, () => {
      const { stack, out, inject } = setup();
      inject(mutate(echo().slice()));
      expect(out).toHaveLength(0);
      expect(stack.dropReasons()).toEqual({ [reason]: 1 });
      expect(stack.counters[counter as 'IpInHdrErrors']).toBe(1);
      expect(stack.counters.IpInDelivers).toBe(0);
    });
  }

  it('drops datagrams for other hosts (we do not forward) and from martian sources', () => {
    const { stack, out, inject } = setup();
    inject(echo({ dst: 0xc0000203 }));
    inject(echo({ src: 0xe0000001 }));
    inject(echo({ src: 0xffffffff }));
    inject(echo({ src: 0xc00002ff }));
    expect(out).toHaveLength(0);
    expect(stack.dropReasons()).toEqual({ 'ipv4:not-for-us': 1, 'ipv4:martian-source': 3 });
    expect(stack.counters.IpInAddrErrors).toBe(4);
  });

  it('accepts broadcast and all-hosts multicast, but ignores echo requests to them (as Linux)', () => {
    const { stack, out, inject } = setup();
    inject(echo({ dst: 0xffffffff }));
    inject(echo({ dst: 0xc00002ff }));
    inject(echo({ dst: 0xe0000001 }));
    inject(echo({ dst: 0xe0000002 }));
    expect(out).toHaveLength(0);
    expect(stack.counters.IpInDelivers).toBe(3);
    expect(stack.counters.IpExtInBcastPkts).toBe(2);
    expect(stack.counters.IpExtInMcastPkts).toBe(1);
    expect(stack.dropReasons()).toEqual({ 'icmp:echo-to-broadcast-ignored': 3, 'ipv4:multicast-not-joined': 1 });
  });

  it('keeps IPv4 options and ignores link padding after the total length', () => {
    const { out, inject } = setup();
    const withOpts = echo({ options: Uint8Array.of(0x01, 0x01, 0x01, 0x00) });
    const padded = new Uint8Array(withOpts.length + 10);
    padded.set(withOpts);
    inject(padded);
    expect(out).toHaveLength(1);
    const reply = out[0]!;
    // A 20-byte reply header (NOP options are not echoed), then the request's
    // ICMP message back unchanged but for type and checksum, padding excluded.
    expect(reply.length).toBe(20 + withOpts.length - 24);
    expect(toHex(reply.subarray(20, 22))).toBe('0000');
    expect(toHex(reply.subarray(24))).toBe(toHex(withOpts.subarray(28)));
  });
});
