import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTcp, parseTcp, tcpChecksumValid } from '../../src/tcp/header.js';
import {
  decodeTcpOptionList, emptyOptionPlan, encodeTcpOptionList, linuxOptionsLength, parseTcpOptions,
  writeLinuxOptions, type TcpOption,
} from '../../src/tcp/options.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const params = { numRuns: 1000, seed: 0x7c9 };

const option: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  u16.map<TcpOption>((value) => ({ kind: 'mss', value })),
  fc.integer({ min: 0, max: 255 }).map<TcpOption>((shift) => ({ kind: 'wscale', shift })),
  fc.constant<TcpOption>({ kind: 'sackOK' }),
  fc.tuple(u32, u32).map<TcpOption>(([val, ecr]) => ({ kind: 'ts', val, ecr })),
  fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 }).map<TcpOption>((blocks) => ({ kind: 'sack', blocks })),
  fc.tuple(fc.integer({ min: 9, max: 255 }), fc.uint8Array({ maxLength: 6 })).map<TcpOption>(([type, data]) => ({ kind: 'raw', type, data })),
);

describe('TCP codec properties', () => {
  it('parse never throws on arbitrary bytes, and options parsing never throws', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      const r = parseTcp(b);
      if (r.ok) {
        parseTcpOptions(r.value.options);
        decodeTcpOptionList(r.value.options);
        expect(r.value.options.length + r.value.payload.length + 20).toBe(b.length);
      }
    }), params);
  });

  it('build then parse round-trips every field and the checksum verifies', () => {
    fc.assert(fc.property(
      u16, u16, u32, u32, fc.integer({ min: 0, max: 0x1ff }), u16, fc.array(option, { maxLength: 4 }),
      fc.uint8Array({ maxLength: 64 }), u32, u32,
      (sp, dp, seq, ack, flags, window, opts, payload, src, dst) => {
        let options = encodeTcpOptionList(opts);
        if (options.length > 40) options = options.subarray(0, 0);
        const b = buildTcp({ srcPort: sp, dstPort: dp, seq, ack, flags, window, options, payload }, src, dst);
        expect(tcpChecksumValid(b, src, dst)).toBe(true);
        const r = parseTcp(b);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.value).toMatchObject({ srcPort: sp, dstPort: dp, seq, ack, flags, window });
        expect(Array.from(r.value.payload)).toEqual(Array.from(payload));
        const list = decodeTcpOptionList(r.value.options);
        expect(list.ok).toBe(true);
        if (list.ok) expect(list.value.filter((o) => o.kind !== 'eol')).toEqual(opts.length && options.length ? opts : []);
      }), params);
  });

  it('Linux option writer output parses back to the same values', () => {
    fc.assert(fc.property(
      fc.record({
        mss: fc.integer({ min: -1, max: 0xffff }), wscale: fc.integer({ min: -1, max: 14 }), sackPermitted: fc.boolean(),
        hasTimestamp: fc.boolean(), tsVal: u32, tsEcr: u32, blocks: fc.array(fc.tuple(u32, u32), { maxLength: 3 }),
      }),
      (p) => {
        const plan = { ...emptyOptionPlan(), ...p, sackCount: p.blocks.length, sackBlocks: p.blocks.flat() };
        const n = linuxOptionsLength(plan);
        expect(n % 4).toBe(0);
        const b = new Uint8Array(n);
        expect(writeLinuxOptions(b, 0, plan)).toBe(n);
        const r = parseTcpOptions(b);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.value.mss).toBe(p.mss);
        expect(r.value.wscale).toBe(p.wscale);
        expect(r.value.sackPermitted).toBe(p.sackPermitted);
        expect(r.value.hasTimestamp).toBe(p.hasTimestamp);
        if (p.hasTimestamp) expect([r.value.tsVal, r.value.tsEcr]).toEqual([p.tsVal, p.tsEcr]);
        expect(r.value.sackBlocks.slice(0, 2 * r.value.sackCount)).toEqual(p.blocks.flat());
      }), params);
  });
});
