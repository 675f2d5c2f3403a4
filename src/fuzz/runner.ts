import type { AttackStats } from './attack-engine.js';
import { Driver } from './driver.js';
import { exceptionFailure, failureSignature, type Failure } from './failure.js';
import { PacketGenerator, type FuzzMode, type FuzzProto, type GeneratorStats } from './generator.js';
import { HealthOracle, REAL_HEALTH_TIMING, VIRTUAL_HEALTH_TIMING } from './health.js';
import { Recorder, type RecordedPacket } from './recorder.js';
import { replayPackets } from './replay.js';
import { shrinkBytes, shrinkSequence, type ShrinkBudget } from './shrink.js';
import type { TargetFactory } from './target.js';

/** Options for {@link runCampaign}. */
export interface CampaignOptions {
  factory: TargetFactory;
  seed: number;
  /** Packets to send (health probes not included). */
  count: number;
  proto?: FuzzProto;
  mode?: FuzzMode;
  /** Starting points for mutation (packets of a capture). */
  seeds?: readonly Uint8Array[];
  /** Run the oracle every this many packets (default 20 000 on a virtual clock, 2 000 on a real one). */
  healthEvery?: number;
  /** Shrink a failure (default true). */
  shrink?: boolean;
  /** Limits for shrinking (default: 3 000 replays / 60 s on a virtual clock, 40 / 120 s on a real one). */
  shrinkBudget?: ShrinkBudget;
  /** Packets kept for the reproducer (default 65 536). */
  recordWindow?: number;
  /** Called now and then (at most every `progressEveryMs`, default 250) with how the run goes. */
  onProgress?: (p: CampaignProgress) => void;
  progressEveryMs?: number;
}

/** A progress snapshot. */
export interface CampaignProgress {
  packets: number;
  count: number;
  elapsedMs: number;
  packetsPerSecond: number;
  outputs: number;
}

/** A failure, shrunk. */
export interface FoundFailure extends Failure {
  /** The minimal packet sequence found (what the reproducer holds). */
  readonly packets: RecordedPacket[];
  /** Packets recorded before shrinking. */
  readonly recorded: number;
  /** Whether replaying the recorded packets into a fresh target failed the same way. */
  readonly reproduced: boolean;
  readonly shrinkTests: number;
}

/** The outcome of a run. */
export interface FuzzReport {
  target: string;
  targetDescription: string;
  seed: number;
  targetSeed: number;
  proto: FuzzProto;
  mode: FuzzMode;
  /** Fuzz packets sent. */
  packets: number;
  /** Everything injected, health probes included. */
  injected: number;
  /** Packets the target sent back. */
  outputs: number;
  elapsedMs: number;
  packetsPerSecond: number;
  healthChecks: number;
  generator: GeneratorStats;
  attacks: AttackStats | null;
  failure: FoundFailure | null;
}

/** The target's seed for a run seed: fixed, so `--seed` names the whole run, target included. */
export function targetSeedFor(seed: number): number {
  return (Math.imul(seed ^ 0x5eed, 0x9e3779b1) >>> 0) ^ 0x7a51;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs one fuzzing campaign: `count` generated packets into a fresh target,
 * the oracle every `healthEvery` packets and at the end, and — on a failure —
 * the recorded packets replayed and shrunk to a minimal sequence.
 *
 * The hot loop does no decoding or formatting: one generated packet (a
 * single copy out of scratch), one copy into the recorder, the target's own
 * work, and a clock step.
 */
export async function runCampaign(o: CampaignOptions): Promise<FuzzReport> {
  const targetSeed = targetSeedFor(o.seed);
  const target = await o.factory({ seed: targetSeed });
  const virtual = target.virtualTime;
  const proto = o.proto ?? 'all';
  const mode = o.mode ?? 'mixed';
  const healthEvery = Math.max(1, o.healthEvery ?? (virtual ? 20_000 : 2_000));
  const window = o.recordWindow ?? 65_536;
  // Room for the window at a typical packet size, without reserving 32 MiB for a short run.
  const recorder = new Recorder(window, Math.min(32 << 20, Math.max(1 << 20, Math.min(o.count + 64, window) * 512)));
  let failure: Failure | null = null;
  let gen: PacketGenerator | null = null;
  let sent = 0;
  let healthChecks = 0;
  let outputs = 0;
  let injected = 0;
  const started = performance.now();
  try {
    const driver = new Driver(target);
    const generator = new PacketGenerator({ seed: o.seed, plan: target.plan, proto, mode, seeds: o.seeds ?? [], maxLength: target.mtu });
    gen = generator;
    driver.hub.add((p) => generator.onOutput(p));
    const oracle = new HealthOracle(driver, virtual ? VIRTUAL_HEALTH_TIMING : REAL_HEALTH_TIMING);
    const progressEvery = o.progressEveryMs ?? 250;
    // The first report comes with the first stretch of packets, later ones every `progressEvery` ms.
    let lastProgress = -Infinity;
    const report = (): void => {
      const now = performance.now();
      if (o.onProgress === undefined || now - lastProgress < progressEvery) return;
      lastProgress = now;
      const elapsedMs = now - started;
      o.onProgress({ packets: sent, count: o.count, elapsedMs, packetsPerSecond: (sent * 1000) / elapsedMs, outputs: driver.hub.packets });
    };
    const check = async (index: number): Promise<Failure | null> => {
      healthChecks++;
      try {
        const problem = await oracle.check();
        return problem === null ? null : { kind: 'unhealthy', message: problem, packetIndex: index, atUs: target.now() };
      } catch (e) {
        return exceptionFailure(e, index, target.now());
      }
    };
    /** Sends one packet and lets its time step pass; a promise only when the target's time is real. */
    const send = (p: Uint8Array, index: number, now: number): Failure | null | Promise<void> => {
      recorder.add(index, now, p);
      try {
        driver.inject(p);
        if (virtual) return target.advance(generator.timeStepUs()) ?? null;
      } catch (e) {
        return exceptionFailure(e, index, target.now());
      }
      return null;
    };

    let i = 0;
    while (i < o.count && failure === null) {
      // A synchronous stretch up to the next health check (or a breather for the host's event loop).
      const stop = Math.min(o.count, (Math.floor(i / healthEvery) + 1) * healthEvery, i + (virtual ? 16_384 : 32));
      for (; i < stop; i++) {
        const now = target.now();
        const r = send(generator.next(now), i, now);
        if (r === null) continue;
        if (r instanceof Promise) {
          try {
            await r;
          } catch (e) {
            failure = exceptionFailure(e, i, target.now());
          }
        } else failure = r;
        if (failure !== null) break;
      }
      sent = failure === null ? i : i + 1;
      report();
      if (failure === null && sent % healthEvery === 0 && sent > 0) failure = await check(sent - 1);
      if (failure === null) await turn();
    }
    if (failure === null) {
      // Close the attack sessions cleanly, then the final health check.
      try {
        for (const p of generator.finish()) {
          if (failure !== null) break;
          const r = send(p, sent, target.now());
          if (r instanceof Promise) await r;
          else failure = r;
        }
        if (failure === null) await driver.advance(virtual ? 1_000 : 50_000);
      } catch (e) {
        failure ??= exceptionFailure(e, sent, target.now());
      }
      if (failure === null) failure = await check(sent - 1);
    }
    outputs = driver.hub.packets;
    injected = driver.injected;
  } finally {
    await target.close();
  }
  const elapsedMs = performance.now() - started;
  const found = failure === null ? null : await shrinkFailure(failure, recorder.tail(), o, targetSeed, virtual);
  return {
    target: target.kind,
    targetDescription: target.describe(),
    seed: o.seed,
    targetSeed,
    proto,
    mode,
    packets: sent,
    injected,
    outputs,
    elapsedMs,
    packetsPerSecond: (sent * 1000) / Math.max(elapsedMs, 1e-3),
    healthChecks,
    generator: gen?.stats ?? { random: 0, mutated: 0, attack: 0, fragments: 0 },
    attacks: gen?.attacks?.stats ?? null,
    failure: found,
  };
}

/**
 * Replays the recorded packets into fresh targets to confirm the failure,
 * then shrinks: sequence first (suffix, delta debugging), then — when one
 * packet is left — its bytes, with fast-check's shrinker.
 */
async function shrinkFailure(
  failure: Failure,
  recorded: RecordedPacket[],
  o: CampaignOptions,
  targetSeed: number,
  virtual: boolean,
): Promise<FoundFailure> {
  const base = { ...failure, recorded: recorded.length };
  if (o.shrink === false) return { ...base, packets: recorded, reproduced: false, shrinkTests: 0 };
  const budget = o.shrinkBudget ?? (virtual ? { maxTests: 3_000, maxMs: 60_000 } : { maxTests: 40, maxMs: 120_000 });
  const want = failureSignature(failure);
  const untilUs = failure.atUs;
  const fails = async (packets: RecordedPacket[]): Promise<boolean> => {
    const f = await replayPackets(packets, { factory: o.factory, targetSeed, untilUs });
    return f !== null && failureSignature(f) === want;
  };
  if (!(await fails(recorded))) return { ...base, packets: recorded, reproduced: false, shrinkTests: 1 };
  const seqResult = await shrinkSequence(recorded, fails, budget);
  let packets = seqResult.items;
  let tests = 1 + seqResult.tests;
  if (packets.length === 1) {
    const only = packets[0]!;
    const bytesResult = await shrinkBytes(only.data, (data) => fails([{ ...only, data }]), {
      maxTests: Math.max(0, Math.min(400, budget.maxTests - tests)),
      maxMs: budget.maxMs,
    });
    packets = [{ ...only, data: bytesResult.items[0]! }];
    tests += bytesResult.tests;
  }
  return { ...base, packets, reproduced: true, shrinkTests: tests };
}
