import fc from 'fast-check';
import { almostValid } from '../helpers/mutations.js';
import { describe, expect, it } from 'vitest';
import { parseIPv6 } from '../../src/core/address.js';
import { concatBytes, fromHex } from '../../src/core/bytes.js';
import { VirtualClock } from '../../src/core/clock.js';
import { buildIcmpv6, icmpv6ChecksumValid } from '../../src/icmp/icmpv6-header.js';
import { buildIpv6, parseIpv6, walkIpv6Extensions } from '../../src/ip/ipv6-header.js';
import { parseEthernet } from '../../src/link/ethernet.js';
import { createMemoryPair } from '../../src/link/memory-link.js';
import { Stack } from '../../src/stack.js';
import { arbExtensionChain, arbIcmpv6Spec } from './arbitraries-v6.js';

// The stack sits on end a of the wire: MAC 02:00:00:00:00:01, fe80::ff:fe00:1 and 2001:db8::2.
const arbAddr = (list: string[]): fc.Arbitrary<Uint8Array> => fc.constantFrom(...list).map((t) => parseIPv6(t)!);

/** A plausible IPv6 packet for the stack: ICMPv6 of every kind (ND, MLD, errors, echo), UDP-ish, unknown protocols, with extension chains. */
const validPacket = fc
  .record({
    src: fc.oneof(
      { weight: 6, arbitrary: arbAddr(['2001:db8::1', 'fe80::1', 'fe80::ff:fe00:2']) },
      { weight: 1, arbitrary: arbAddr(['::', 'ff02::1', '::1', '::ffff:192.0.2.1', '2001:db8::2']) },
    ),
    dst: fc.oneof(
      { weight: 6, arbitrary: arbAddr(['2001:db8::2', 'fe80::ff:fe00:1', 'ff02::1', 'ff02::1:ff00:2', 'ff02::1:ff00:1']) },
      { weight: 1, arbitrary: arbAddr(['2001:db8::99', 'ff02::2', 'ff05::1', 'ff01::1', 'ff00::1', '::1']) },
    ),
    hopLimit: fc.oneof(fc.constantFrom(255, 64, 1), fc.integer({ min: 0, max: 255 })),
    flowLabel: fc.integer({ min: 0, max: 0xfffff }),
    extensions: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: arbExtensionChain }),
    kind: fc.constantFrom('icmp6', 'icmp6', 'icmp6', 'udp', 'proto'),
    icmp: arbIcmpv6Spec,
    proto: fc.integer({ min: 0, max: 255 }),
    payload: fc.uint8Array({ maxLength: 64 }),
  })
  .map((r) => {
    let protocol = 58;
    let body: Uint8Array;
    if (r.kind === 'icmp6') body = buildIcmpv6(r.icmp, r.src, r.dst);
    else if (r.kind === 'udp') {
      protocol = 17;
      body = concatBytes([fromHex('04d2162e'), Uint8Array.of(0, 8 + r.payload.length), fromHex('0000'), r.payload]);
    } else {
      protocol = r.proto;
      body = r.payload;
    }
    return buildIpv6({ src: r.src, dst: r.dst, protocol, hopLimit: r.hopLimit, flowLabel: r.flowLabel, extensions: r.extensions }, body);
  });

/** Mutations that keep a packet "almost valid" (the version nibble may change too: then it is IPv4's to refuse). */
const mutated = almostValid(validPacket);

const anyPacket = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 128 }).map((b) => (b.length > 0 ? (b[0] = (b[0]! & 0x0f) | 0x60, b) : b)) },
  { weight: 4, arbitrary: validPacket },
  { weight: 5, arbitrary: mutated },
);

const DST_MACS = [fromHex('020000000001'), fromHex('333300000001'), fromHex('3333ff000002'), fromHex('333300000016')];

describe('the IPv6 stack on Ethernet under 30 000 random and mutated packets', () => {
  it('never throws, accounts for every packet, and sends only well-formed packets', () => {
    const clock = new VirtualClock();
    const [mine, theirs] = createMemoryPair(clock, { linkType: 'ethernet' });
    const sent: Uint8Array[] = [];
    theirs.setReceiver((f) => sent.push(f.slice()));
    const stack = new Stack({ clock, seed: 17, id: 'fuzz6' });
    const iface = stack.addInterface(mine, { ipv6: ['2001:db8::2/64'] });
    clock.advance(5_000_000); // DAD done
    const accounted = (): number => {
      const c = stack.counters;
      return c.IpInDelivers + c.IpReasmReqds + c.Ip6InDelivers + c.Ip6ReasmReqds + stack.ctx.trace.droppedTotal;
    };
    let runs = 0;
    let dstIndex = 0;
    fc.assert(
      fc.property(anyPacket, (pkt) => {
        const before = accounted();
        const receivesBefore = stack.counters.Ip6InReceives + stack.counters.IpInReceives;
        const frame = new Uint8Array(14 + pkt.length);
        frame.set(DST_MACS[dstIndex++ % DST_MACS.length]!);
        frame.set(fromHex('0200000000fe86dd'), 6);
        frame.set(pkt, 14);
        stack.ip.receiveFrame(iface, frame);
        clock.advance(50);
        runs++;
        // (At least one: an error about a packet claiming our own source loops back to us as a second packet.)
        return stack.counters.Ip6InReceives + stack.counters.IpInReceives >= receivesBefore + 1 && accounted() > before;
      }),
      { numRuns: 30_000, seed: 20261122 },
    );
    clock.runUntilIdle({ maxUs: 600_000_000 });
    expect(runs).toBe(30_000);
    const c = stack.counters;
    // The stack did real work: answered echoes, ran ND, refused headers, reassembled.
    expect(c.Icmp6OutEchoReplies).toBeGreaterThan(100);
    expect(c.Icmp6InNeighborSolicits).toBeGreaterThan(100);
    expect(c.Ip6InHdrErrors).toBeGreaterThan(100);
    expect(c.Ip6ReasmReqds).toBeGreaterThan(100);
    expect(c.Icmp6OutParmProblems).toBeGreaterThan(0);
    expect(stack.ip.reassembly.datagrams).toBe(0);
    // Everything that went out parses, walks, and carries a correct ICMPv6 checksum.
    for (const f of sent) {
      const eth = parseEthernet(f);
      expect(eth.ok).toBe(true);
      if (!eth.ok || eth.value.ethertype !== 0x86dd) continue;
      const h = parseIpv6(eth.value.payload);
      expect(h.ok).toBe(true);
      if (!h.ok) continue;
      const w = walkIpv6Extensions(eth.value.payload, h.value.nextHeader, 40, 40 + h.value.payloadLength);
      expect(w.ok).toBe(true);
      if (!w.ok || w.value.protocol !== 58 || w.value.fragment !== null) continue;
      expect(icmpv6ChecksumValid(eth.value.payload.subarray(w.value.payloadOffset, 40 + h.value.payloadLength), h.value.src, h.value.dst)).toBe(true);
    }
    expect(sent.length).toBeGreaterThan(20); // (most answers wait for neighbours that never answer: ND)
    stack.close();
  });
});
