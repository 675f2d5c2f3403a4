/**
 * fast-check arbitraries for the IPv6 / ICMPv6 codec specs and for
 * fragment sets, for any property test that needs well-formed packets to
 * start from (and then mangle). Every spec arbitrary builds something its
 * parser accepts.
 */
import fc from 'fast-check';
import type { IPv4Address, IPv6Address } from '../core/address.js';
import type { Icmpv6Spec, MldRecord, NdpOption } from '../icmp/icmpv6-header.js';
import type {
  Ipv6ExtensionSpec,
  Ipv6FragmentSpec,
  Ipv6OptionSpec,
  Ipv6OptionsHeaderSpec,
  Ipv6RoutingSpec,
  Ipv6Spec,
} from '../ip/ipv6-header.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

export const arbV6Address: fc.Arbitrary<IPv6Address> = fc.uint8Array({ minLength: 16, maxLength: 16 });
export const arbV4Address: fc.Arbitrary<IPv4Address> = u32;

/** Upper-layer protocol numbers the walker stops at (anything but the four extension headers it walks). */
export const arbUpperProtocol: fc.Arbitrary<number> = u8.filter((p) => p !== 0 && p !== 43 && p !== 44 && p !== 60);

/** A non-padding option: Router Alert with its 2-byte value, or any other type with up to 12 data bytes. */
export const arbIpv6Option: fc.Arbitrary<Ipv6OptionSpec> = fc.oneof(
  u16.map((v) => ({ type: 5, data: Uint8Array.of(v >>> 8, v & 0xff) })),
  fc.record({
    type: u8.filter((t) => t > 1 && t !== 5),
    data: fc.uint8Array({ maxLength: 12 }),
  }),
);

/** An options header (at most 8 options, the walker's default limit). */
export function arbOptionsHeader(kind: 'hbh' | 'dstopts'): fc.Arbitrary<Ipv6OptionsHeaderSpec> {
  return fc.array(arbIpv6Option, { maxLength: 8 }).map((options) => ({ kind, options }));
}

/** A Routing header of any type with 0..3 addresses' worth of data. */
export const arbRoutingHeader: fc.Arbitrary<Ipv6RoutingSpec> = fc
  .record({ routingType: u8, segmentsLeft: u8, n: fc.integer({ min: 0, max: 3 }), fill: u8 })
  .map(({ routingType, segmentsLeft, n, fill }) => ({
    kind: 'routing' as const,
    routingType,
    segmentsLeft,
    data: new Uint8Array(4 + 16 * n).fill(fill),
  }));

export const arbFragmentHeader: fc.Arbitrary<Ipv6FragmentSpec> = fc.record({
  kind: fc.constant('fragment' as const),
  offset: fc.integer({ min: 0, max: 8191 }).map((u) => u * 8),
  more: fc.boolean(),
  identification: u32,
});

/**
 * A legal extension chain: an optional Hop-by-Hop first, up to four
 * Destination Options / Routing headers, and an optional Fragment header
 * last (the walk stops there).
 */
export const arbExtensionChain: fc.Arbitrary<Ipv6ExtensionSpec[]> = fc
  .record({
    hbh: fc.option(arbOptionsHeader('hbh'), { nil: undefined }),
    middle: fc.array(fc.oneof(arbOptionsHeader('dstopts'), arbRoutingHeader), { maxLength: 4 }),
    frag: fc.option(arbFragmentHeader, { nil: undefined }),
  })
  .map(({ hbh, middle, frag }) => [...(hbh ? [hbh] : []), ...middle, ...(frag ? [frag] : [])]);

/** A full IPv6 spec with every field in range and a legal extension chain. */
export const arbIpv6Spec: fc.Arbitrary<Ipv6Spec & { extensions: Ipv6ExtensionSpec[] }> = fc.record({
  src: arbV6Address,
  dst: arbV6Address,
  protocol: arbUpperProtocol,
  trafficClass: u8,
  flowLabel: fc.integer({ min: 0, max: 0xfffff }),
  hopLimit: u8,
  extensions: arbExtensionChain,
});

const arbLla = fc.uint8Array({ minLength: 6, maxLength: 6 });

/** Any NDP option the codec knows, plus unknown types; values sized as the codec pads them. */
export const arbNdpOption: fc.Arbitrary<NdpOption> = fc.oneof(
  arbLla.map((address) => ({ kind: 'source-lla' as const, address })),
  arbLla.map((address) => ({ kind: 'target-lla' as const, address })),
  fc
    .record({
      prefixLength: u8,
      flags: u8,
      validLifetime: u32,
      preferredLifetime: u32,
      reserved2: u32,
      prefix: arbV6Address,
    })
    .map((p) => ({ kind: 'prefix-info' as const, ...p })),
  u32.map((mtu) => ({ kind: 'mtu' as const, mtu })),
  fc
    .integer({ min: 0, max: 4 })
    .chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n }))
    .map((packet) => ({ kind: 'redirected-header' as const, packet })),
  fc
    .record({ type: u8.filter((t) => t < 1 || t > 5), n: fc.integer({ min: 1, max: 3 }) })
    .chain(({ type, n }) =>
      fc.uint8Array({ minLength: 8 * n - 2, maxLength: 8 * n - 2 }).map((data) => ({ kind: 'unknown' as const, type, data })),
    ),
);

const arbOptions = fc.array(arbNdpOption, { maxLength: 4 });
const arbBody = fc.uint8Array({ maxLength: 48 });

const arbMldRecord: fc.Arbitrary<MldRecord> = fc.record({
  recordType: u8,
  multicastAddress: arbV6Address,
  sources: fc.array(arbV6Address, { maxLength: 3 }),
  auxData: fc.integer({ min: 0, max: 2 }).chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n })),
});

/** Any ICMPv6 message the codec can build and parse back, with a code. */
export const arbIcmpv6Spec: fc.Arbitrary<Icmpv6Spec> = fc
  .tuple(
    u8,
    fc.oneof(
      fc.record({ kind: fc.constantFrom('dest-unreachable' as const, 'time-exceeded' as const), unused: u32, invoking: arbBody }),
      fc.record({ kind: fc.constant('packet-too-big' as const), mtu: u32, invoking: arbBody }),
      fc.record({ kind: fc.constant('param-problem' as const), pointer: u32, invoking: arbBody }),
      fc.record({
        kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const),
        identifier: u16,
        sequence: u16,
        data: arbBody,
      }),
      fc.record({ kind: fc.constant('router-solicitation' as const), reserved: u32, options: arbOptions }),
      fc.record({
        kind: fc.constant('router-advertisement' as const),
        curHopLimit: u8,
        flags: u8,
        routerLifetime: u16,
        reachableTime: u32,
        retransTimer: u32,
        options: arbOptions,
      }),
      fc.record({ kind: fc.constant('neighbor-solicitation' as const), reserved: u32, target: arbV6Address, options: arbOptions }),
      fc.record({ kind: fc.constant('neighbor-advertisement' as const), flags: u32, target: arbV6Address, options: arbOptions }),
      fc.record({
        kind: fc.constant('redirect' as const),
        reserved: u32,
        target: arbV6Address,
        destination: arbV6Address,
        options: arbOptions,
      }),
      fc.record({
        kind: fc.constant('mld-query' as const),
        version: fc.constantFrom(1 as const, 2 as const),
        maxResponseCode: u16,
        reserved: u16,
        multicastAddress: arbV6Address,
        flags: u8,
        qqic: u8,
        sources: fc.array(arbV6Address, { maxLength: 3 }),
      }).map((q) => (q.version === 1 ? { ...q, flags: 0, qqic: 0, sources: [] } : q)),
      fc.record({
        kind: fc.constantFrom('mld-report' as const, 'mld-done' as const),
        maxResponseDelay: u16,
        reserved: u16,
        multicastAddress: arbV6Address,
      }),
      fc.record({ kind: fc.constant('mld-v2-report' as const), reserved: u16, records: fc.array(arbMldRecord, { maxLength: 3 }) }),
      fc.record({
        kind: fc.constant('unknown' as const),
        type: u8.filter((t) => ![1, 2, 3, 4, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 143].includes(t)),
        body: arbBody,
      }),
    ),
  )
  .map(([code, fields]) => ({ ...fields, code }) as Icmpv6Spec);

/** A datagram cut into fragments: boundaries are multiples of 8, the first piece at least `minFirst` bytes. */
export interface FragmentPlan {
  readonly payload: Uint8Array;
  /** [offset, end) of each fragment, in order. */
  readonly pieces: readonly (readonly [number, number])[];
  readonly id: number;
}

/**
 * A payload of `minLength..maxLength` bytes and a random cut of it into
 * 1..16 fragments on 8-byte boundaries (the first at least `minFirst` bytes,
 * so it holds the upper-layer header).
 */
export function arbFragmentPlan(minLength = 16, maxLength = 1500, minFirst = 8): fc.Arbitrary<FragmentPlan> {
  return fc
    .uint8Array({ minLength, maxLength, size: 'max' })
    .chain((payload) => {
      // Candidate boundaries: multiples of 8 strictly inside the payload, leaving the first piece >= minFirst.
      const lo = Math.ceil(Math.max(minFirst, 8) / 8);
      const hi = Math.floor((payload.length - 1) / 8);
      const cuts =
        hi < lo
          ? fc.constant<number[]>([])
          : fc
              .integer({ min: 0, max: Math.min(15, hi - lo + 1) })
              .chain((n) => fc.uniqueArray(fc.integer({ min: lo, max: hi }), { minLength: n, maxLength: n }));
      return fc.record({ payload: fc.constant(payload), cuts, id: u32 });
    })
    .map(({ payload, cuts, id }) => {
      const edges = [0, ...cuts.map((c) => c * 8).sort((a, b) => a - b), payload.length];
      const pieces: [number, number][] = [];
      for (let i = 0; i + 1 < edges.length; i++) pieces.push([edges[i]!, edges[i + 1]!]);
      return { payload, pieces, id };
    });
}

/**
 * An order in which to deliver `n` fragments: a permutation of 0..n-1 with
 * up to `n` duplicates mixed in.
 */
export function arbDeliveryOrder(n: number): fc.Arbitrary<number[]> {
  const ids = Array.from({ length: n }, (_, i) => i);
  return fc
    .record({
      perm: fc.shuffledSubarray(ids, { minLength: n, maxLength: n }),
      dups: fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: n }),
      positions: fc.array(fc.nat(), { maxLength: n }),
    })
    .map(({ perm, dups, positions }) => {
      const order = [...perm];
      dups.forEach((d, i) => order.splice((positions[i] ?? 0) % (order.length + 1), 0, d));
      return order;
    });
}
