import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import { SeededRandom } from '../../../src/core/random.js';
import { FaultInjector } from '../../../src/link/fault-injector.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';
import type { TcpConnection } from '../../../src/tcp/connection.js';
import { pattern, sha256, transfer } from './helpers/pair.js';

const B = 0xc0000202; // 192.0.2.2

function stacks(lossPct: number, seed: number): { clock: VirtualClock; a: Stack; b: Stack; client: TcpConnection; server: TcpConnection } {
  const clock = new VirtualClock(0);
  // 100 Mbit/s, 5 ms each way: RTT 10 ms, BDP 125 kB.
  const [la, lb] = createMemoryPair(clock, { latencyUs: 5000, bandwidthBps: 100e6 });
  const faults = {
    dropProbability: lossPct / 100,
    duplicateProbability: lossPct > 0 ? 0.01 : 0,
    reorderProbability: lossPct > 0 ? 0.02 : 0,
    reorderDelayUs: 3000,
    corruptProbability: lossPct > 0 ? 0.005 : 0,
  };
  const fa = new FaultInjector(la, { clock, random: new SeededRandom(seed), tx: faults, rx: {} });
  const fb = new FaultInjector(lb, { clock, random: new SeededRandom(seed + 1), tx: faults, rx: {} });
  const a = new Stack({ clock, seed: seed + 2, id: 'a' });
  const b = new Stack({ clock, seed: seed + 3, id: 'b' });
  a.addInterface(fa, { ipv4: ['192.0.2.1/24'] });
  b.addInterface(fb, { ipv4: ['192.0.2.2/24'] });
  const l = b.tcp.listen({ port: 5001 });
  const client = a.tcp.connect({ remoteAddress: B, remotePort: 5001 });
  let server: TcpConnection | null = null;
  clock.runUntil(() => (server ??= l.accept()) !== null && client.stateName === 'ESTABLISHED', { maxUs: 120_000_000 });
  if (server === null) throw new Error('handshake failed');
  return { clock, a, b, client, server };
}

/*
 * Virtual-time bounds. The path is 100 Mbit/s with a 10 ms RTT, so 10 MB needs
 * at least 0.84 s (measured: 0.90 s each way, link-limited once the send and
 * receive buffers have auto-tuned). With random loss p, Reno/CUBIC throughput
 * is roughly (MSS/RTT)·1.22/√p (Mathis et al.), with RTT inflated by the
 * queue the window builds, and the 2 % reordering by 3 ms (≈25 packets at
 * this rate) costs spurious fast retransmits (no undo yet): measured ≈7–8 s
 * at 1 % and ≈18–20 s at 5 % (including RTOs when a retransmission is lost
 * too). The bounds leave about 4× headroom so a change of seed or a small
 * algorithm change does not break the test, while a stall (an RTO backoff
 * spiral, a lost window update) still does.
 */
const BOUNDS_US: Record<number, number> = { 0: 4_000_000, 1: 30_000_000, 5: 80_000_000 };

describe('10 MB each way between two Stacks over the memory link and the fault injector', () => {
  for (const loss of [0, 1, 5]) {
    it(`${loss}% loss (with duplication, reordering and bit flips when lossy): byte-exact within ${BOUNDS_US[loss]! / 1e6} s virtual`, () => {
      const { clock, a, b, client, server } = stacks(loss, 100 + loss);
      const up = pattern(10 << 20, 3);
      const down = pattern(10 << 20, 4);
      let t0 = clock.now();
      const got = transfer(clock, client, server, up, BOUNDS_US[loss]!);
      const upUs = clock.now() - t0;
      expect(sha256(got)).toBe(sha256([up]));
      t0 = clock.now();
      const got2 = transfer(clock, server, client, down, BOUNDS_US[loss]!);
      const downUs = clock.now() - t0;
      expect(sha256(got2)).toBe(sha256([down]));
      expect(upUs).toBeLessThanOrEqual(BOUNDS_US[loss]!);
      expect(downUs).toBeLessThanOrEqual(BOUNDS_US[loss]!);
      if (loss > 0) expect(a.counters.TcpRetransSegs + b.counters.TcpRetransSegs).toBeGreaterThan(0);
      a.close();
      b.close();
    });
  }
});
