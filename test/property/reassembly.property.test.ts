import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { VirtualClock } from '../../src/core/clock.js';
import { SeededRandom } from '../../src/core/random.js';
import { TimerScheduler } from '../../src/core/scheduler.js';
import { buildIpv4, parseIpv4 } from '../../src/ip/ipv4-header.js';
import { buildIpv6, parseIpv6, walkIpv6Extensions } from '../../src/ip/ipv6-header.js';
import { ReassemblyBuffer, type ReassemblyOptions, type ReassemblyResult } from '../../src/ip/reassembly.js';
import { arbDeliveryOrder, arbFragmentPlan, arbV4Address, arbV6Address, type FragmentPlan } from './arbitraries-v6.js';

const params = { numRuns: 1000, seed: 0x4e55 };
const UDP = 17;

function makeBuffer(opts: Partial<ReassemblyOptions> = {}) {
  const clock = new VirtualClock();
  const timers = new TimerScheduler(clock);
  const buf = new ReassemblyBuffer({ timers, random: new SeededRandom(3), ...opts });
  return { clock, buf };
}

function feed4(buf: ReassemblyBuffer, pkt: Uint8Array): ReassemblyResult | null {
  const h = parseIpv4(pkt);
  return h.ok ? buf.acceptIpv4(pkt, h.value) : null;
}

function feed6(buf: ReassemblyBuffer, pkt: Uint8Array): ReassemblyResult | null {
  const p = parseIpv6(pkt);
  if (!p.ok) return null;
  const w = walkIpv6Extensions(pkt, p.value.nextHeader, 40, 40 + p.value.payloadLength);
  if (!w.ok || w.value.fragment === null) return null;
  return buf.acceptIpv6(pkt, p.value, w.value.fragment);
}

function v6Fragments(plan: FragmentPlan, src: Uint8Array, dst: Uint8Array): Uint8Array[] {
  return plan.pieces.map(([o, e]) =>
    buildIpv6(
      { src, dst, protocol: UDP, extensions: [{ kind: 'fragment', offset: o, more: e < plan.payload.length, identification: plan.id }] },
      plan.payload.subarray(o, e),
    ),
  );
}

function v4Fragments(plan: FragmentPlan, src: number, dst: number): Uint8Array[] {
  return plan.pieces.map(([o, e]) =>
    buildIpv4({ src, dst, protocol: UDP, id: plan.id & 0xffff, fragmentOffset: o, mf: e < plan.payload.length }, plan.payload.subarray(o, e)),
  );
}

/**
 * Feeds `order` and checks each result against a model: a fragment already
 * held is a duplicate; the one that completes the set yields `whole`; any
 * other is pending. After a completion, repeats start a new datagram.
 */
function deliverAll(buf: ReassemblyBuffer, frags: Uint8Array[], order: number[], feed: typeof feed6, whole: Uint8Array): void {
  const held = new Set<number>();
  let completions = 0;
  for (const i of order) {
    const r = feed(buf, frags[i]!);
    if (r === null) throw new Error('fragment did not parse');
    if (held.has(i)) {
      expect(r).toMatchObject({ status: 'dropped', reason: 'frag-duplicate', datagramDiscarded: false });
      continue;
    }
    held.add(i);
    if (held.size === frags.length) {
      if (r.status !== 'complete') throw new Error(`expected completion, got ${JSON.stringify(r)}`);
      expect(toHex(r.packet)).toBe(toHex(whole));
      expect(r.fragments).toBe(frags.length);
      completions++;
      held.clear();
    } else {
      expect(r).toEqual({ status: 'pending' });
    }
  }
  expect(completions).toBeGreaterThanOrEqual(1);
}

describe('reassembly properties', () => {
  it('IPv6: any permutation with duplicates reassembles to the original packet', () => {
    fc.assert(
      fc.property(
        arbFragmentPlan(16, 1500, 8).chain((plan) => fc.tuple(fc.constant(plan), arbDeliveryOrder(plan.pieces.length))),
        arbV6Address,
        arbV6Address,
        ([plan, order], src, dst) => {
          const { buf } = makeBuffer();
          const frags = v6Fragments(plan, src, dst);
          const whole = buildIpv6({ src, dst, protocol: UDP }, plan.payload);
          deliverAll(buf, frags, order, feed6, whole);
        },
      ),
      params,
    );
  });

  it('IPv4: any permutation with duplicates reassembles to the original datagram', () => {
    fc.assert(
      fc.property(
        arbFragmentPlan(16, 1500, 8).chain((plan) => fc.tuple(fc.constant(plan), arbDeliveryOrder(plan.pieces.length))),
        arbV4Address,
        arbV4Address,
        ([plan, order], src, dst) => {
          const { buf } = makeBuffer();
          const frags = v4Fragments(plan, src, dst);
          const whole = buildIpv4({ src, dst, protocol: UDP, id: plan.id & 0xffff }, plan.payload);
          deliverAll(buf, frags, order, feed4, whole);
        },
      ),
      params,
    );
  });

  it('IPv6: a fragment overlapping received and missing data discards the datagram (RFC 5722)', () => {
    fc.assert(
      fc.property(
        arbFragmentPlan(24, 1500, 8)
          .filter((p) => p.pieces.length >= 2)
          .chain((plan) =>
            fc.tuple(
              fc.constant(plan),
              fc.shuffledSubarray(
                plan.pieces.map((_, i) => i),
                { minLength: plan.pieces.length, maxLength: plan.pieces.length },
              ),
              fc.integer({ min: 1, max: plan.pieces.length - 1 }),
            ),
          ),
        ([plan, perm, nReceived]) => {
          const { buf } = makeBuffer();
          const src = new Uint8Array(16).fill(1);
          const frags = v6Fragments(plan, src, new Uint8Array(16).fill(2));
          const received = perm.slice(0, nReceived);
          const missing = perm.slice(nReceived);
          for (const i of received) expect(feed6(buf, frags[i]!)!.status).toBe('pending');
          // A fragment spanning one received piece and one missing piece.
          const a = plan.pieces[received[0]!]!;
          const b = plan.pieces[missing[0]!]!;
          const o = Math.min(a[0], b[0]);
          const e = Math.max(a[1], b[1]);
          // The whole payload at offset 0 with M = 0 would be an atomic fragment (RFC 6946), not an overlap.
          fc.pre(!(o === 0 && e === plan.payload.length));
          const overlap = buildIpv6(
            {
              src,
              dst: new Uint8Array(16).fill(2),
              protocol: UDP,
              extensions: [{ kind: 'fragment', offset: o, more: e < plan.payload.length, identification: plan.id }],
            },
            plan.payload.subarray(o, e),
          );
          const r = feed6(buf, overlap)!;
          expect(r).toMatchObject({ status: 'dropped', reason: 'frag-overlap', datagramDiscarded: true });
          expect(buf.datagrams).toBe(0);
          expect(buf.memory).toBe(0);
          // What is left can never complete the datagram.
          for (const i of missing) expect(feed6(buf, frags[i]!)!.status).not.toBe('complete');
        },
      ),
      params,
    );
  });

  it('memory caps hold under a random fragment flood, and everything expires', () => {
    const arbFrag = fc.record({
      v6: fc.boolean(),
      host: fc.integer({ min: 0, max: 1 }),
      id: fc.integer({ min: 0, max: 1 }),
      proto: fc.constantFrom(6, 17),
      offset: fc.integer({ min: 0, max: 8191 }).map((u) => u * 8),
      // Mostly well-formed non-last fragments, with some of every malformation mixed in.
      len: fc.oneof(
        { arbitrary: fc.integer({ min: 1, max: 75 }).map((u) => u * 8), weight: 8 },
        { arbitrary: fc.integer({ min: 0, max: 600 }), weight: 1 },
      ),
      more: fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, { arbitrary: fc.constant(false), weight: 1 }),
      wait: fc.integer({ min: 0, max: 1_000_000 }),
    });
    const maxMemory = 8192;
    const reasons = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(arbFrag, { maxLength: 60, size: 'max' }), (flood) => {
        const { buf, clock } = makeBuffer({ maxMemory, maxDatagramMemory: 4096, maxFragments: 4 });
        for (const f of flood) {
          const data = new Uint8Array(f.len).fill(f.host);
          let r: ReassemblyResult | null;
          if (f.v6) {
            const src = new Uint8Array(16).fill(f.host);
            const pkt = buildIpv6(
              { src, dst: new Uint8Array(16), protocol: f.proto, extensions: [{ kind: 'fragment', offset: f.offset, more: f.more, identification: f.id }] },
              data,
            );
            r = feed6(buf, pkt);
          } else {
            const off = Math.min(f.offset, 65528);
            r = feed4(buf, buildIpv4({ src: f.host, dst: 9, protocol: f.proto, id: f.id, fragmentOffset: off, mf: f.more }, data));
          }
          expect(r).not.toBeNull();
          if (r!.status === 'dropped') reasons.set(r!.reason, (reasons.get(r!.reason) ?? 0) + 1);
          expect(buf.memory).toBeLessThanOrEqual(maxMemory);
          expect(buf.memory).toBeGreaterThanOrEqual(0);
          if (r!.status === 'complete') expect(r!.packet.length).toBeLessThanOrEqual(65535 + 40);
          clock.advance(f.wait);
        }
        clock.advance(60_000_000);
        expect(buf.datagrams).toBe(0);
        expect(buf.memory).toBe(0);
      }),
      params,
    );
    // The flood did reach the caps (otherwise this property would prove nothing).
    expect(reasons.get('frag-memory')).toBeGreaterThan(0);
    expect(reasons.get('frag-datagram-limit')).toBeGreaterThan(0);
  });
});
