import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeU16 } from '../../src/core/bytes.js';
import { internetChecksum } from '../../src/ip/checksum.js';
import { parseIpv4 } from '../../src/ip/ipv4-header.js';
import { stackUnderTest } from '../helpers/stacks.js';

/**
 * IPv4 input validates the usual header (no options) without the codec's
 * parse; whatever it accepts or drops, and why, must be what the codec
 * (RFC 1122 §3.2.1.1-2) decides.
 */

const ME = [192, 0, 2, 2];
const PEER = [192, 0, 2, 1];
const params = { numRuns: 1000, seed: 0x1f4 };

/** A header-ish datagram: mostly well formed, with the fields the checks read drawn near their edges. */
const datagram = fc
  .record({
    // Version 4 only: other versions never reach IPv4 input (the IP layer dispatches on the nibble).
    verIhl: fc.oneof(fc.constant(0x45), fc.constant(0x46), fc.constant(0x4f), fc.constant(0x44), fc.integer({ min: 0x40, max: 0x4f })),
    payload: fc.integer({ min: 0, max: 60 }),
    totalDelta: fc.oneof(fc.constant(0), fc.integer({ min: -30, max: 10 })),
    frameDelta: fc.oneof(fc.constant(0), fc.integer({ min: -30, max: 8 })),
    checksumRight: fc.boolean(),
    ttl: fc.integer({ min: 0, max: 255 }),
    frag: fc.oneof(fc.constant(0), fc.constant(0x4000), fc.integer({ min: 0, max: 0xffff })),
    protocol: fc.constantFrom(1, 6, 17, 2, 99),
  })
  .map((f) => {
    const hl = Math.max(20, (f.verIhl & 0x0f) * 4);
    const total = hl + f.payload;
    const b = new Uint8Array(Math.max(1, total + f.frameDelta));
    const w = new Uint8Array(Math.max(total, 60));
    w[0] = f.verIhl;
    writeU16(w, 2, Math.max(0, total + f.totalDelta));
    writeU16(w, 6, f.frag);
    w[8] = f.ttl;
    w[9] = f.protocol;
    w.set(PEER, 12);
    w.set(ME, 16);
    const ck = internetChecksum(w, 0, hl);
    writeU16(w, 10, f.checksumRight ? ck : ck ^ 0x0100);
    b.set(w.subarray(0, b.length));
    return b;
  });

describe('IPv4 input header checks', () => {
  it('drop reasons and counters follow the codec, fast path or not', () => {
    fc.assert(
      fc.property(datagram, (b) => {
        const { stack, inject } = stackUnderTest();
        const parsed = parseIpv4(b);
        inject(b.slice());
        const c = stack.counters;
        expect(c.IpInReceives).toBe(1);
        const reasons = stack.dropReasons();
        if (!parsed.ok) {
          expect(reasons).toEqual({ [`ipv4:${parsed.reason}`]: 1 });
          expect(c.IpExtInOctets).toBe(0);
        } else {
          for (const r of Object.keys(reasons)) expect(r.startsWith('ipv4:ipv4-')).toBe(false);
          expect(c.IpExtInOctets).toBe(parsed.value.totalLength);
          expect(c.IpInHdrErrors + c.IpExtInTruncatedPkts).toBe(0);
        }
      }),
      params,
    );
  });
});
