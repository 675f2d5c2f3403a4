import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzePackets } from '../../src/cli/graph/analysis.js';
import type { TcpPacketInfo } from '../../src/cli/graph/segments.js';
import { renderSvg } from '../../src/cli/graph/svg.js';
import { checkXml } from '../unit/cli/graph-helpers.js';

const params = { numRuns: 1000, seed: 0x6a9f };

const ENDS = ['192.0.2.1:40000', '192.0.2.2:80', '[2001:db8::1]:443'];

/** Arbitrary segments between a few endpoints: any numbers, any flags, any SACK blocks, times going forward. */
const packets = fc
  .array(
    fc.record({
      from: fc.nat(2),
      to: fc.nat(2),
      gapUs: fc.nat(50_000),
      seq: fc.oneof(fc.nat(0xffffffff), fc.integer({ min: 0xfffff000, max: 0xffffffff }), fc.nat(5000)),
      ack: fc.oneof(fc.nat(0xffffffff), fc.nat(5000)),
      flags: fc.nat(0x1ff),
      window: fc.nat(0xffff),
      payloadLength: fc.nat(3000),
      wscale: fc.integer({ min: -1, max: 20 }),
      sack: fc.array(fc.nat(0xffffffff), { maxLength: 8 }),
    }),
    { maxLength: 40 },
  )
  .map((list) => {
    let t = 0;
    return list.map((r, i): TcpPacketInfo => {
      t += r.gapUs;
      return {
        frame: i + 1,
        timeUs: t,
        src: ENDS[r.from]!,
        dst: ENDS[r.to === r.from ? (r.to + 1) % 3 : r.to]!,
        seq: r.seq,
        ack: r.ack,
        flags: r.flags,
        window: r.window,
        payloadLength: r.payloadLength,
        wscale: r.wscale,
        mss: 1460,
        sackPermitted: true,
        sack: r.sack.slice(0, r.sack.length & ~1),
      };
    });
  });

describe('graph properties', () => {
  it('any segments: the analysis and the SVG never throw, the ACK line only rises, the SVG is well formed', () => {
    fc.assert(
      fc.property(packets, fc.constantFrom(undefined, 'client', 'server'), (list, dir) => {
        const graphs = analyzePackets(list, dir === undefined ? {} : { dir });
        let segments = 0;
        for (const g of graphs) {
          for (let i = 1; i < g.acks.length; i++) {
            expect(g.acks[i]!.value).toBeGreaterThan(g.acks[i - 1]!.value);
            expect(g.acks[i]!.t).toBeGreaterThanOrEqual(g.acks[i - 1]!.t);
          }
          for (const s of g.segments) expect(s.end).toBeGreaterThanOrEqual(s.start);
          expect(g.stats.dataSegments + g.stats.retransmissions + g.stats.zeroWindowProbes).toBeLessThanOrEqual(g.segments.length);
          segments += g.stats.packets;
        }
        expect(segments).toBe(list.length);
        const svg = renderSvg(graphs);
        expect(svg).not.toMatch(/NaN|Infinity/);
        checkXml(svg);
      }),
      params,
    );
  });
});
