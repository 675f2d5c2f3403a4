import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { twoStacks } from '../../helpers/stacks.js';

const setup = (): ReturnType<typeof twoStacks> => twoStacks({ latencyUs: 100 });

describe('ping between two stacks on the in-memory link', () => {
  it('sends the exact echo request and gets the exact echo reply', async () => {
    const { clock, a, b, ra, rb } = setup();
    const data = new TextEncoder().encode('tsip ping payload');
    const reply = a.ping('192.0.2.2', { identifier: 0x1234, sequence: 7, data });
    clock.runUntilIdle();
    const r = await reply;
    expect(r).toMatchObject({ from: 0xc0000202, identifier: 0x1234, sequence: 7, ttl: 64, rttUs: 200 });
    expect(toHex(r.data)).toBe(toHex(data));

    expect(ra.frames()).toHaveLength(1);
    expect(rb.frames()).toHaveLength(1);
    const req = ra.frames()[0]!;
    const rep = rb.frames()[0]!;
    // IPv4 header: v4, IHL 5, TOS 0, length 45, ID from the seeded per-destination
    // counter, no flags, TTL 64, ICMP; then ICMP type 8, id 0x1234, seq 7.
    const reqId = toHex(req.subarray(4, 6));
    expect(toHex(req)).toBe(
      '4500002d' + reqId + '0000' + '4001' + toHex(req.subarray(10, 12)) + 'c0000201' + 'c0000202' +
        '0800' + toHex(req.subarray(22, 24)) + '12340007' + toHex(data),
    );
    // Reply: same shape from b to a, type 0, identical data.
    const repId = toHex(rep.subarray(4, 6));
    expect(toHex(rep)).toBe(
      '4500002d' + repId + '0000' + '4001' + toHex(rep.subarray(10, 12)) + 'c0000202' + 'c0000201' +
        '0000' + toHex(rep.subarray(22, 24)) + '12340007' + toHex(data),
    );
    // The checksums left symbolic above are verified independently: the IPv4
    // header and the ICMP message each sum to 0xffff (RFC 1071).
    for (const p of [req, rep]) {
      expect(onesSum(p.subarray(0, 20))).toBe(0xffff);
      expect(onesSum(p.subarray(20))).toBe(0xffff);
    }
    // The ICMP checksum of the reply differs from the request's by exactly the type change (RFC 1624).
    expect(((~readU16(rep, 22) & 0xffff) - (~readU16(req, 22) & 0xffff) + 0xffff) % 0xffff).toBe(0xffff - 0x0800);

    expect(a.countersSnapshot()).toMatchObject({ IcmpOutEchos: 1, IcmpInEchoReps: 1, IpOutRequests: 1, IpInDelivers: 1 });
    expect(b.countersSnapshot()).toMatchObject({ IcmpInEchos: 1, IcmpOutEchoReps: 1, IcmpInMsgs: 1, IcmpOutMsgs: 1 });
    a.close();
    b.close();
    expect(clock.pending).toBe(0);
  });

  it('is reproducible: the same seeds give the same bytes', async () => {
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { clock, a, ra, rb } = setup();
      const p = a.ping('192.0.2.2', { identifier: 1, sequence: 1 });
      clock.runUntilIdle();
      await p;
      runs.push([...ra.hex(), ...rb.hex()].join('|'));
    }
    expect(runs[0]).toBe(runs[1]);
  });

  it('times out on the virtual clock when nobody answers', async () => {
    const { clock, a } = setup();
    const p = a.ping('192.0.2.99', { timeoutUs: 500_000 });
    const settled = p.then(
      () => 'resolved',
      (e: { code?: string }) => e.code,
    );
    clock.runUntilIdle();
    expect(clock.now()).toBe(500_000);
    expect(await settled).toBe('ETIMEDOUT');
  });

  it('fails at once with ENETUNREACH when there is no route', async () => {
    const { a } = setup();
    await expect(a.ping('198.51.100.1')).rejects.toMatchObject({ code: 'ENETUNREACH', syscall: 'echo' });
    expect(a.counters.IpOutNoRoutes).toBe(1);
  });
});

function readU16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function onesSum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
