import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import {
  buildIcmpv6,
  icmpv6ChecksumValid,
  icmpv6Type,
  parseIcmpv6,
  parseNdpOptions,
  type Icmpv6Spec,
} from '../../src/icmp/icmpv6-header.js';
import {
  buildIpv6,
  extensionsLength,
  extensionType,
  parseIpv6,
  walkIpv6Extensions,
  type Ipv6UnknownOption,
} from '../../src/ip/ipv6-header.js';
import { arbIcmpv6Spec, arbIpv6Spec, arbV6Address } from './arbitraries-v6.js';

const params = { numRuns: 1000, seed: 0x6b6 };

describe('IPv6 codec properties', () => {
  it('build -> parse -> walk round-trips every field of the header and the chain', () => {
    fc.assert(
      fc.property(arbIpv6Spec, fc.uint8Array({ maxLength: 64 }), (spec, payload) => {
        const b = buildIpv6(spec, payload);
        const extLen = extensionsLength(spec.extensions);
        const r = parseIpv6(b);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const h = r.value;
        expect(h).toMatchObject({
          version: 6,
          trafficClass: spec.trafficClass,
          flowLabel: spec.flowLabel,
          hopLimit: spec.hopLimit,
          payloadLength: extLen + payload.length,
          nextHeader: spec.extensions.length > 0 ? extensionType(spec.extensions[0]!) : spec.protocol,
        });
        expect(toHex(h.src)).toBe(toHex(spec.src));
        expect(toHex(h.dst)).toBe(toHex(spec.dst));

        const w = walkIpv6Extensions(b, h.nextHeader, 40, 40 + h.payloadLength);
        expect(w.ok).toBe(true);
        if (!w.ok) return;
        expect(w.value.protocol).toBe(spec.protocol);
        expect(w.value.payloadOffset).toBe(40 + extLen);
        expect(w.value.headerCount).toBe(spec.extensions.length);
        expect(toHex(b.subarray(w.value.payloadOffset))).toBe(toHex(payload));

        // What the walk should have reported, worked out from the spec.
        const unknown: Omit<Ipv6UnknownOption, 'offset'>[] = [];
        let routerAlert = -1;
        let routing: { routingType: number; segmentsLeft: number } | null = null;
        let fragment: { offset: number; more: boolean; identification: number } | null = null;
        for (const e of spec.extensions) {
          if (e.kind === 'routing') routing = { routingType: e.routingType, segmentsLeft: e.segmentsLeft };
          else if (e.kind === 'fragment') fragment = { offset: e.offset, more: e.more, identification: e.identification };
          else {
            for (const o of e.options) {
              const len = o.data?.length ?? 0;
              if (e.kind === 'hbh' && o.type === 5) routerAlert = (o.data![0]! << 8) | o.data![1]!;
              else unknown.push({ header: extensionType(e), type: o.type, action: o.type >>> 6, length: len });
            }
          }
        }
        expect(w.value.unknownOptions.map(({ offset: _o, ...rest }) => rest)).toEqual(unknown);
        for (const u of w.value.unknownOptions) expect(b[u.offset]).toBe(u.type);
        expect(w.value.routerAlert).toBe(routerAlert);
        expect(w.value.routing === null ? null : { routingType: w.value.routing.routingType, segmentsLeft: w.value.routing.segmentsLeft }).toEqual(routing);
        if (fragment === null) expect(w.value.fragment).toBeNull();
        else {
          expect(w.value.fragment).toMatchObject({ ...fragment, nextHeader: spec.protocol, dataOffset: 40 + extLen });
          expect(b[w.value.fragment!.nextHeaderField]).toBe(44);
        }
        expect(b[w.value.nextHeaderField]).toBe(spec.protocol);
      }),
      params,
    );
  });

  it('parse and walk never throw on arbitrary bytes and never point outside them', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(220),
        fc.nat(220),
        (b, nh, start, end) => {
          const r = parseIpv6(b);
          if (r.ok) expect(40 + r.value.payload.length).toBeLessThanOrEqual(b.length);
          const w = walkIpv6Extensions(b, nh, start, end);
          if (w.ok) {
            expect(w.value.payloadOffset).toBeLessThanOrEqual(Math.max(start, Math.min(end, b.length)));
            for (const u of w.value.unknownOptions) expect(u.offset).toBeLessThan(b.length);
          } else {
            expect(w.pointer).toBeLessThan(Math.max(b.length, 8));
          }
          walkIpv6Extensions(b);
        },
      ),
      params,
    );
  });

  it('walking a damaged valid packet never throws', () => {
    fc.assert(
      fc.property(arbIpv6Spec, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (spec, hits) => {
        const b = buildIpv6(spec, new Uint8Array(8));
        for (const [at, v] of hits) b[40 + (at % Math.max(1, b.length - 40))] = v;
        const w = walkIpv6Extensions(b, b[6], 40, b.length);
        if (w.ok) expect(w.value.payloadOffset).toBeLessThanOrEqual(b.length);
        else expect(typeof w.reason).toBe('string');
      }),
      params,
    );
  });
});

describe('ICMPv6 codec properties', () => {
  it('build -> parse -> build is the identity and the checksum verifies', () => {
    fc.assert(
      fc.property(arbIcmpv6Spec, arbV6Address, arbV6Address, (spec, src, dst) => {
        const b = buildIcmpv6(spec, src, dst);
        expect(icmpv6ChecksumValid(b, src, dst)).toBe(true);
        const r = parseIcmpv6(b, src, dst);
        if (!r.ok) throw new Error(`${spec.kind}: ${r.reason}`);
        expect(r.value.type).toBe(icmpv6Type(spec));
        expect(r.value.code).toBe(spec.code);
        expect(r.value.fields.kind).toBe(spec.kind);
        const again: Icmpv6Spec = { ...r.value.fields, code: r.value.code };
        expect(toHex(buildIcmpv6(again, src, dst))).toBe(toHex(b));
      }),
      params,
    );
  });

  it('detects every single-bit error in the message or the pseudo-header addresses', () => {
    fc.assert(
      fc.property(arbIcmpv6Spec, arbV6Address, arbV6Address, fc.nat(), (spec, src, dst, at) => {
        const b = buildIcmpv6(spec, src, dst);
        const where = at % (b.length * 8 + 256);
        const s = src.slice();
        const d = dst.slice();
        if (where < b.length * 8) b[where >> 3]! ^= 1 << (where & 7);
        else if (where < b.length * 8 + 128) s[(where - b.length * 8) >> 3]! ^= 1 << (where & 7);
        else d[(where - b.length * 8 - 128) >> 3]! ^= 1 << (where & 7);
        expect(icmpv6ChecksumValid(b, s, d)).toBe(false);
        expect(parseIcmpv6(b, s, d)).toEqual({ ok: false, reason: 'icmp6-bad-checksum' });
      }),
      params,
    );
  });

  it('parse never throws on arbitrary bytes, with or without addresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 160 }), arbV6Address, fc.nat(200), fc.nat(200), (b, a, start, end) => {
        const r = parseIcmpv6(b);
        if (r.ok) expect(r.value.type).toBe(b[0]);
        parseIcmpv6(b, a, a);
        const o = parseNdpOptions(b, start, end);
        if (o.ok) for (const opt of o.value) expect(opt.offset!).toBeLessThan(b.length);
      }),
      params,
    );
  });

  it('parse never throws on bodies behind every known type', () => {
    const types = [1, 2, 3, 4, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 143];
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 120 }), (type, body) => {
        const b = new Uint8Array(4 + body.length);
        b[0] = type;
        b.set(body, 4);
        const r = parseIcmpv6(b);
        if (r.ok) expect(r.value.type).toBe(type);
      }),
      params,
    );
  });
});
