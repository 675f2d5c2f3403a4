import fc from 'fast-check';
import { almostValid } from '../helpers/mutations.js';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { buildIcmpv4, buildIcmpv4Echo, buildIcmpv4Error } from '../../src/icmp/icmpv4-header.js';
import { buildIpv4, type Ipv4Spec } from '../../src/ip/ipv4-header.js';
import { createMemoryPair } from '../../src/link/memory-link.js';
import { Stack } from '../../src/stack.js';
import { buildUdp } from '../../src/udp/header.js';

const ME = 0xc0000202; // 192.0.2.2
const PEER = 0xc0000201; // 192.0.2.1

/** A plausible datagram for the stack: ICMP echo/errors, UDP, unknown protocols, to us or not. */
const validPacket = fc
  .record({
    kind: fc.constantFrom('echo', 'icmp-error', 'icmp-other', 'udp', 'proto'),
    dst: fc.constantFrom(ME, ME, ME, 0xc00002ff, 0xffffffff, 0xe0000001, 0xc0000263),
    src: fc.constantFrom(PEER, PEER, 0, 0x7f000001, 0xe0000005),
    ttl: fc.integer({ min: 0, max: 255 }),
    tos: fc.integer({ min: 0, max: 255 }),
    id: fc.integer({ min: 0, max: 0xffff }),
    df: fc.boolean(),
    mf: fc.constantFrom(false, false, false, false, true),
    frag: fc.integer({ min: 0, max: 8191 }).map((x) => (x % 5 !== 0 ? 0 : x * 8)),
    proto: fc.integer({ min: 0, max: 255 }),
    payload: fc.uint8Array({ maxLength: 96 }),
    options: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined, freq: 4 }),
    type: fc.integer({ min: 0, max: 255 }),
    code: fc.integer({ min: 0, max: 255 }),
  })
  .map((r) => {
    let protocol = 1;
    let body: Uint8Array;
    switch (r.kind) {
      case 'echo':
        body = buildIcmpv4Echo({ identifier: r.id, sequence: r.ttl, data: r.payload });
        break;
      case 'icmp-error': {
        const inner = buildIpv4({ src: r.dst, dst: r.src, protocol: r.proto }, r.payload);
        body = buildIcmpv4Error({ type: [3, 11, 12, 4, 5][r.code % 5]!, code: r.code % 16, original: inner });
        break;
      }
      case 'icmp-other':
        body = buildIcmpv4({ type: r.type, code: r.code, body: r.payload });
        break;
      case 'udp':
        protocol = 17;
        body = buildUdp({ srcPort: r.id, dstPort: r.ttl, payload: r.payload }, r.src, r.dst);
        break;
      default:
        protocol = r.proto;
        body = r.payload;
    }
    const spec: Ipv4Spec = { src: r.src, dst: r.dst, protocol, ttl: r.ttl, tos: r.tos, id: r.id, df: r.df, mf: r.mf, fragmentOffset: r.frag };
    if (r.options !== undefined) spec.options = r.options;
    return buildIpv4(spec, body);
  });

/** Mutations that keep a packet "almost valid": flips, truncation, overwrites, garbage tails. */
const mutated = almostValid(validPacket);

const anyPacket = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 128 }) },
  { weight: 3, arbitrary: validPacket },
  { weight: 5, arbitrary: mutated },
);

describe('the stack under 100 000 random and mutated packets', () => {
  it('never throws, and every packet is delivered, held for reassembly, or a counted drop', () => {
    const clock = new VirtualClock();
    const [mine, theirs] = createMemoryPair(clock, { mtu: 1500 });
    let answered = 0;
    theirs.setReceiver(() => answered++);
    const stack = new Stack({ clock, seed: 11, id: 'fuzz' });
    const iface = stack.addInterface(mine, { ipv4: ['192.0.2.2/24'] });
    /** Every outcome a packet can have leaves a mark in one of these. */
    const accounted = (): number => stack.counters.IpInDelivers + stack.counters.IpReasmReqds + stack.ctx.trace.droppedTotal;
    let runs = 0;
    fc.assert(
      fc.property(anyPacket, (pkt) => {
        const before = accounted();
        const receivesBefore = stack.counters.IpInReceives;
        stack.ip.receiveFrame(iface, pkt);
        // Advance time a little so replies flush and rate limiters refill, as on a real link.
        clock.advance(50);
        runs++;
        return stack.counters.IpInReceives === receivesBefore + 1 && accounted() > before;
      }),
      { numRuns: 100_000, seed: 20261121 },
    );
    clock.runUntilIdle();
    expect(runs).toBe(100_000);
    // Fragments were held, timed out, and the buffer emptied itself.
    expect(stack.counters.IpReasmReqds).toBeGreaterThan(100);
    expect(stack.ip.reassembly.datagrams).toBe(0);
    // The stack did real work on the way: replies went out and errors were rate limited.
    const c = stack.counters;
    expect(c.IcmpOutEchoReps).toBeGreaterThan(100);
    expect(c.IpInHdrErrors).toBeGreaterThan(100);
    expect(c.IpInUnknownProtos).toBeGreaterThan(100);
    expect(c.IcmpInErrors).toBeGreaterThan(100);
    expect(c.IcmpOutDestUnreachs).toBeGreaterThan(0);
    expect(answered).toBe(c.LinkOutFrames);
    stack.close();
  });
});
