import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePacket, findField, findLayer, type DecodedPacket } from '../../src/cli/decode/decode.js';
import { formatLine } from '../../src/cli/decode/format-line.js';
import { formatVerbose } from '../../src/cli/decode/format-verbose.js';
import { buildIpv4 } from '../../src/ip/ipv4-header.js';
import { buildTcp } from '../../src/tcp/header.js';
import { encodeTcpOptionList, type TcpOption } from '../../src/tcp/options.js';
import { templates } from '../unit/cli/samples.js';

const params = { numRuns: 1000, seed: 0x5eed_d0 };
const LINK_TYPES = [1, 101, 228, 229, 0, 113];

/** Decodes and formats both ways; the decoder's safety net must never have fired. */
function exercise(frame: Uint8Array, linkType: number, originalLength?: number): DecodedPacket {
  const p = decodePacket(frame, linkType, originalLength);
  expect(p.malformed?.layer).not.toBe('decoder');
  const line = formatLine(p, 1_000_200);
  expect(line.startsWith('00:00:01.000200 ')).toBe(true);
  expect(line).not.toContain('\n');
  const verbose = formatVerbose(p, 0);
  expect(verbose[0]).toBe(formatLine(p, 0));
  expect(p.capturedLength).toBe(frame.length);
  return p;
}

/** A mutation of a valid frame: overwrite bytes, truncate, or extend. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), values: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('grow' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(frame: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = frame.slice();
  for (const m of mutations) {
    if (m.kind === 'set') {
      if (b.length === 0) continue;
      for (let i = 0; i < m.values.length; i++) b[(m.at + i) % b.length] = m.values[i]!;
    } else if (m.kind === 'cut') {
      b = b.subarray(0, m.at % (b.length + 1));
    } else {
      const g = new Uint8Array(b.length + m.extra.length);
      g.set(b);
      g.set(m.extra, b.length);
      b = g;
    }
  }
  return b;
}

describe('packet decoder properties', () => {
  it('never throws on arbitrary bytes, whatever the link type', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...LINK_TYPES), fc.nat(300), (b, lt, orig) => {
        exercise(b, lt, orig);
      }),
      params,
    );
  });

  it('never throws on arbitrary bytes behind a plausible IPv4 or IPv6 header start', () => {
    // Random bytes rarely get past the version check; fixing the first byte(s) does.
    const prefix = fc.constantFrom(
      Uint8Array.of(0x45, 0x00), Uint8Array.of(0x46), Uint8Array.of(0x4f), Uint8Array.of(0x60, 0x00, 0x00, 0x00),
    );
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 160 }), fc.boolean(), (pre, rest, fixLength) => {
        const b = new Uint8Array(pre.length + rest.length);
        b.set(pre);
        b.set(rest, pre.length);
        if (fixLength && b.length >= 40) {
          // Make the length fields agree with the bytes so the upper layers get decoded.
          if (b[0]! >>> 4 === 4) {
            b[2] = b.length >>> 8;
            b[3] = b.length & 0xff;
          } else {
            b[4] = (b.length - 40) >>> 8;
            b[5] = (b.length - 40) & 0xff;
          }
        }
        exercise(b, 101);
      }),
      params,
    );
  });

  it('never throws on mutated valid frames', () => {
    const base = templates();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
        const t = base[i]!;
        exercise(mutate(t.frame, ms), t.linkType);
      }),
      params,
    );
  });

  it('valid templates decode completely, with correct checksums', () => {
    for (const t of templates()) {
      const p = exercise(t.frame, t.linkType);
      expect(p.malformed).toBeUndefined();
      for (const l of p.layers) {
        const status = findField(l, 'checksum-status')?.value;
        if (status !== undefined) expect(['correct', 'none', 'unverified']).toContain(status);
      }
    }
  });

  it('built TCP segments decode to the fields they were built from', () => {
    const u16 = fc.integer({ min: 0, max: 0xffff });
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const option = fc.oneof(
      fc.constant<TcpOption>({ kind: 'nop' }),
      u16.map<TcpOption>((value) => ({ kind: 'mss', value })),
      fc.integer({ min: 0, max: 14 }).map<TcpOption>((shift) => ({ kind: 'wscale', shift })),
      fc.tuple(u32, u32).map<TcpOption>(([val, ecr]) => ({ kind: 'ts', val, ecr })),
    );
    fc.assert(
      fc.property(u32, u32, u16, u16, u32, u32, fc.integer({ min: 0, max: 0xff }), u16, fc.array(option, { maxLength: 3 }),
        fc.uint8Array({ maxLength: 32 }),
        (src, dst, sp, dp, seq, ack, flags, window, opts, payload) => {
          const seg = buildTcp({ srcPort: sp, dstPort: dp, seq, ack, flags, window, options: encodeTcpOptionList(opts), payload }, src, dst);
          const p = exercise(buildIpv4({ src, dst, protocol: 6 }, seg), 101);
          expect(p.malformed).toBeUndefined();
          const tcp = findLayer(p, 'tcp');
          expect(tcp).toBeDefined();
          if (tcp === undefined) return;
          expect(findField(tcp, 'srcport')?.value).toBe(sp);
          expect(findField(tcp, 'dstport')?.value).toBe(dp);
          expect(findField(tcp, 'seq')?.value).toBe(seq);
          expect(findField(tcp, 'window')?.value).toBe(window);
          expect(findField(tcp, 'payload-length')?.value).toBe(payload.length);
          expect(findField(tcp, 'checksum-status')?.value).toBe('correct');
          expect(tcp.summary.endsWith(`, length ${payload.length}`)).toBe(true);
        }),
      params,
    );
  });
});
