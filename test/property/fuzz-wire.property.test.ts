import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual } from '../../src/core/bytes.js';
import { finishChecksum, sumBytes } from '../../src/ip/checksum.js';
import { buildIpv4 } from '../../src/ip/ipv4-header.js';
import { buildIpv6 } from '../../src/ip/ipv6-header.js';
import { Dice } from '../../src/fuzz/dice.js';
import { PacketPool } from '../../src/fuzz/packet-pool.js';
import { tcpPacket, type Endpoints } from '../../src/fuzz/wire.js';
import { buildTcp, type TcpSpec } from '../../src/tcp/header.js';

/**
 * The fuzzer's fast packet writer (header fields written in place, payload
 * sums taken from the noise block) against the general codecs it replaced:
 * the bytes must be the same, or a seed would no longer name the same run.
 */

const params = { numRuns: 1000, seed: 0x5eed };
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const endpoints: fc.Arbitrary<Endpoints> = fc.oneof(
  fc.tuple(u32, u32).map<Endpoints>(([src, dst]) => ({ family: 4, src, dst })),
  fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }))
    .map<Endpoints>(([src, dst]) => ({ family: 6, src, dst })),
);

const spec: fc.Arbitrary<TcpSpec> = fc.record(
  {
    srcPort: u16,
    dstPort: u16,
    seq: u32,
    ack: u32,
    flags: fc.integer({ min: 0, max: 0x1ff }),
    window: u16,
    urgent: u16,
    options: fc.uint8Array({ maxLength: 40 }),
    payload: fc.uint8Array({ maxLength: 300 }),
    dataOffset: fc.integer({ min: 0, max: 15 }),
    checksum: u16,
  },
  { requiredKeys: ['srcPort', 'dstPort'] },
);

/** What tcpPacket wrote before: the TCP codec, then the IP codec with the fuzzer's fixed header fields. */
function reference(ep: Endpoints, s: TcpSpec, ttl: number): Uint8Array {
  const segment = buildTcp(s, ep.src, ep.dst);
  return ep.family === 4
    ? buildIpv4({ src: ep.src, dst: ep.dst, protocol: 6, ttl, df: true }, segment)
    : buildIpv6({ src: ep.src, dst: ep.dst, protocol: 6, hopLimit: ttl }, segment);
}

describe('fuzzer wire writer', () => {
  it('tcpPacket writes the bytes the codecs write, pooled or not', () => {
    fc.assert(
      fc.property(endpoints, spec, fc.integer({ min: 0, max: 255 }), (ep, s, ttl) => {
        const want = reference(ep, s, ttl);
        expect(tcpPacket(ep, s, ttl)).toEqual(want);
        expect(tcpPacket(ep, s, ttl, new PacketPool())).toEqual(want);
      }),
      params,
    );
  });

  it('tcpPacket with payload sums from the dice writes the same bytes (noise views and other payloads alike)', () => {
    fc.assert(
      fc.property(endpoints, spec, fc.integer({ min: 0, max: 2000 }), fc.integer(), fc.boolean(), (ep, s, n, seed, fromNoise) => {
        const dice = new Dice(seed);
        const withPayload: TcpSpec = { ...s, checksum: undefined };
        if (fromNoise) withPayload.payload = dice.bytes(n);
        expect(tcpPacket(ep, withPayload, 64, undefined, dice)).toEqual(reference(ep, withPayload, 64));
      }),
      params,
    );
  });
});

describe('Dice.bytes and Dice.noiseSum', () => {
  it('bytes(n) draws what fill() would have written, and noiseSum matches a pass over the bytes', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 20_000 }), (seed, n) => {
        const a = new Dice(seed);
        const b = new Dice(seed);
        const got = a.bytes(n);
        const want = new Uint8Array(n);
        b.fill(want, 0, n);
        expect(bytesEqual(got, want)).toBe(true);
        // The streams stay in step afterwards.
        expect(a.u32()).toBe(b.u32());
        const s = a.noiseSum(got);
        // Equal up to folding (sumBytes folds its word-wise middle part).
        if (n > 16 && n <= 16_384) expect(finishChecksum(s)).toBe(finishChecksum(sumBytes(got)));
        else expect(s).toBe(-1);
        expect(a.noiseSum(want)).toBe(-1);
      }),
      params,
    );
  });

  it('noiseSum knows only the last view handed out', () => {
    const d = new Dice(3);
    const first = d.bytes(100);
    const second = d.bytes(101);
    expect(d.noiseSum(first)).toBe(-1);
    expect(finishChecksum(d.noiseSum(second))).toBe(finishChecksum(sumBytes(second)));
    expect(d.noiseSum(second.subarray(0, 50))).toBe(-1);
  });
});
