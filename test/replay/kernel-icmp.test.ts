import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../src/core/address.js';
import { toHex } from '../../src/core/bytes.js';
import { VirtualClock } from '../../src/core/clock.js';
import { parseIpv4 } from '../../src/ip/ipv4-header.js';
import { parseIcmpv4 } from '../../src/icmp/icmpv4-header.js';
import { readPcapFile } from '../../src/link/pcap-reader.js';
import { destinedTo, ReplayLink } from '../../src/link/replay-link.js';
import { Stack } from '../../src/stack.js';

/**
 * fixtures/kernel-icmp.pcap holds the Linux kernel (192.0.2.2) answering
 * echo requests and datagrams of an unknown protocol from 192.0.2.1
 * (recorded by scripts/fixtures/record-kernel-icmp.sh). A tsip stack at
 * 192.0.2.2 is fed the same inbound packets at the recorded times and must
 * answer like the kernel did, field by field.
 *
 * Fields allowed to differ, and why:
 * - IPv4 identification: chosen per host from a secret (RFC 7739); the
 *   kernel's and ours are both unpredictable by design;
 * - IPv4 header checksum: it covers the identification.
 * Everything else — lengths, TOS, flags, TTL, protocol, addresses, the whole
 * ICMP message including its checksum and quoted packet — must be equal, and
 * each reply must leave at the instant its request arrived.
 */
describe('replay: the kernel answering ICMP', () => {
  it('tsip answers every recorded request like the kernel, field by field', async () => {
    const capture = await readPcapFile(resolve(__dirname, '../../fixtures/kernel-icmp.pcap'));
    const me = parseIPv4('192.0.2.2')!;
    const clock = new VirtualClock();
    const link = new ReplayLink({ clock, capture, isInbound: destinedTo(me) });
    const stack = new Stack({ clock, seed: 1, id: 'replay' });
    stack.addInterface(link, { ipv4: ['192.0.2.2/24'] });
    link.start();
    clock.runUntilIdle();

    expect(link.inbound.length).toBe(5);
    expect(link.sent.length).toBe(link.expectedOutbound.length);
    link.expectedOutbound.forEach((want, i) => {
      const got = link.sent[i]!;
      const g = parseIpv4(got.data);
      const w = parseIpv4(want.data);
      expect(g.ok && w.ok).toBe(true);
      if (!g.ok || !w.ok) return;
      const strip = (h: typeof g.value): Record<string, unknown> => {
        const { id: _id, headerChecksum: _sum, options, payload, ...rest } = h;
        return { ...rest, options: toHex(options), payload: toHex(payload) };
      };
      expect(strip(g.value)).toEqual(strip(w.value));
      // The reply leaves when the request that caused it arrived (the stack adds no delay).
      const cause = link.inbound.filter((p) => p.index < want.index).at(-1)!;
      expect(got.relativeUs).toBe(cause.relativeUs);
      const icmp = parseIcmpv4(g.value.payload);
      expect(icmp.ok).toBe(true);
    });
    expect(stack.countersSnapshot()).toMatchObject({
      IcmpInEchos: 3,
      IcmpOutEchoReps: 3,
      IpInUnknownProtos: 2,
      IcmpOutDestUnreachs: 2,
    });
    stack.close();
  });
});
