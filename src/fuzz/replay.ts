import { Driver } from './driver.js';
import { exceptionFailure, type Failure } from './failure.js';
import { HealthOracle, REAL_HEALTH_TIMING, VIRTUAL_HEALTH_TIMING } from './health.js';
import type { RecordedPacket } from './recorder.js';
import type { FuzzTarget, TargetFactory } from './target.js';

/** How to replay a packet sequence. */
export interface ReplayOptions {
  factory: TargetFactory;
  /** The target's seed (self: the stack's randomness). */
  targetSeed: number;
  /** Run the target's clock at least to here before the final check (virtual targets), µs. */
  untilUs?: number;
  /** Run the health oracle after the packets (default true). */
  checkHealth?: boolean;
}

/** Yields to the event loop (real-time targets must read and write their device). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function replayInto(target: FuzzTarget, packets: readonly RecordedPacket[], o: ReplayOptions): Promise<Failure | null> {
  const driver = new Driver(target);
  const oracle = new HealthOracle(driver, target.virtualTime ? VIRTUAL_HEALTH_TIMING : REAL_HEALTH_TIMING);
  let last = -1;
  try {
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      last = p.index;
      if (target.virtualTime) {
        const dt = p.timeUs - target.now();
        if (dt > 0) await driver.advance(dt);
      } else if ((i & 31) === 31) {
        await turn();
      }
      driver.inject(p.data.slice());
    }
    if (target.virtualTime) {
      const end = Math.max(o.untilUs ?? 0, target.now()) + 1_000;
      await driver.advance(end - target.now());
    } else {
      await driver.advance(50_000);
    }
  } catch (e) {
    return exceptionFailure(e, last, target.now());
  }
  if (o.checkHealth === false) return null;
  try {
    const problem = await oracle.check();
    return problem === null ? null : { kind: 'unhealthy', message: problem, packetIndex: last, atUs: target.now() };
  } catch (e) {
    return exceptionFailure(e, last, target.now());
  }
}

/**
 * Replays `packets` into a fresh target (at their recorded times on a
 * virtual clock, back to back on a real one), then lets time run and asks
 * the oracle. Resolves with the failure seen, or null if the target stayed
 * healthy. The target is always closed.
 */
export async function replayPackets(packets: readonly RecordedPacket[], o: ReplayOptions): Promise<Failure | null> {
  const target = await o.factory({ seed: o.targetSeed });
  try {
    return await replayInto(target, packets, o);
  } finally {
    await target.close();
  }
}
