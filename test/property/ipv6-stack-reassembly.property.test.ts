import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIPv6 } from '../../src/core/address.js';
import { toHex } from '../../src/core/bytes.js';
import { VirtualClock } from '../../src/core/clock.js';
import { buildIcmpv6 } from '../../src/icmp/icmpv6-header.js';
import { buildIpv6 } from '../../src/ip/ipv6-header.js';
import { createMemoryPair } from '../../src/link/memory-link.js';
import { Stack } from '../../src/stack.js';
import { arbDeliveryOrder, arbFragmentPlan, type FragmentPlan } from './arbitraries-v6.js';

const ME = parseIPv6('2001:db8::2')!;
const PEER = parseIPv6('2001:db8::1')!;

/** The plan's payload turned into an echo request (same length), and its fragments. */
function echoFragments(plan: FragmentPlan): { fragments: Uint8Array[]; data: Uint8Array } {
  const data = plan.payload.slice(8);
  const echo = buildIcmpv6({ kind: 'echo-request', identifier: 0x77, sequence: 1, data }, PEER, ME);
  const fragments = plan.pieces.map(([o, e]) =>
    buildIpv6(
      { src: PEER, dst: ME, protocol: 58, extensions: [{ kind: 'fragment', offset: o, more: e < echo.length, identification: plan.id }] },
      echo.subarray(o, e),
    ),
  );
  return { fragments, data };
}

/**
 * How many times the fragments in `order` make a whole datagram: a fragment
 * already held is a duplicate and ignored; a full set completes and the
 * buffer forgets it, so later repeats start afresh. (A single piece is an
 * atomic fragment, complete each time it comes, RFC 6946.)
 */
function completions(order: readonly number[], n: number): number {
  const held = new Set<number>();
  let done = 0;
  for (const i of order) {
    held.add(i);
    if (held.size === n) {
      done++;
      held.clear();
    }
  }
  return done;
}

describe('a fragmented echo request delivered to the stack in any order, with duplicates', () => {
  it('gets exactly one reply per completed set of fragments, carrying the whole data, and leaves nothing behind', () => {
    const scenario = arbFragmentPlan(16, 1400, 8).chain((plan) => arbDeliveryOrder(plan.pieces.length).map((order) => ({ plan, order })));
    let runs = 0;
    fc.assert(
      fc.property(scenario, ({ plan, order }) => {
        const clock = new VirtualClock();
        const [mine, theirs] = createMemoryPair(clock, { mtu: 1500 });
        const replies: Uint8Array[] = [];
        theirs.setReceiver((f) => {
          if (f[6] === 58 && f[40] === 129) replies.push(f.slice());
        });
        const s = new Stack({ clock, seed: runs + 1 });
        const iface = s.addInterface(mine, { ipv6: ['2001:db8::2/64'], ipv6Config: { routerSolicitations: 0, mldReports: false } });
        const { fragments, data } = echoFragments(plan);
        for (const i of order) {
          s.ip.receiveFrame(iface, fragments[i]!);
          clock.runDue();
        }
        const expected = completions(order, plan.pieces.length);
        expect(replies).toHaveLength(expected);
        expect(toHex(replies[0]!.subarray(48))).toBe(toHex(data));
        // Repeats that came after completion started a new datagram: it times out and is freed.
        clock.advance(60_000_000);
        expect(s.ip.reassembly.datagrams).toBe(0);
        expect(s.ip.reassembly.memory).toBe(0);
        expect(replies).toHaveLength(expected);
        s.close();
        runs++;
      }),
      { numRuns: 1000, seed: 0x6e55 },
    );
    expect(runs).toBe(1000);
  });
});
