import { describe, expect, it } from 'vitest';
import { impair, Pair, pattern, sha256, transfer } from './helpers/pair.js';

describe('stack-to-stack transfer (FakeIp, virtual clock)', () => {
  for (const loss of [0, 1, 5]) {
    it(`moves 2 MB each way byte-exact at ${loss}% loss with reordering, duplication, corruption`, () => {
      const p = new Pair({ latencyUs: 5000 });
      const { client, server } = p.connect();
      if (loss > 0) {
        p.ipA.filter = impair(11, { loss, dup: 1, reorder: 2, corrupt: 0.5 });
        p.ipB.filter = impair(12, { loss, dup: 1, reorder: 2, corrupt: 0.5 });
      }
      const up = pattern(2 << 20, 1);
      const down = pattern(2 << 20, 2);
      const t0 = p.clock.now();
      const got = transfer(p.clock, client, server, up, 600_000_000);
      expect(sha256(got)).toBe(sha256([up]));
      const got2 = transfer(p.clock, server, client, down, 600_000_000);
      expect(sha256(got2)).toBe(sha256([down]));
    });
  }
});

describe('IPv6', () => {
  it('moves 1 MB byte-exact over IPv6 (pseudo-header, MSS 1440, demux on 16-byte addresses)', () => {
    const p = new Pair({ latencyUs: 2000, v6: true });
    const { client, server } = p.connect();
    expect(client.family).toBe(6);
    expect(client.info().advMss).toBe(1440);
    const data = pattern(1 << 20, 9);
    const got = transfer(p.clock, client, server, data, 60_000_000);
    expect(sha256(got)).toBe(sha256([data]));
  });
});
