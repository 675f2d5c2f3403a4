/**
 * bench/fuzz: how many fuzz packets per second go through a whole tsip
 * stack (`tsip fuzz --target self`: the stack on a VirtualClock, health
 * checks included), for each packet source — random headers, mutated
 * templates, TCP connection attacks, and the default mix — and how fast the
 * generator alone produces them. Prints one JSON object.
 *
 *   node dist/bench/fuzz.js [--count N] [--runs N] [--seed S]
 *
 * Each mode runs `--runs` campaigns of `--count` packets after one warm-up
 * campaign; the figure is the median. The warm-up's own rate is reported as
 * `coldMixed` (a first run in a fresh process pays for JIT compilation of
 * the whole stack), with `coldMixedPerCpuSecond` beside it. Target:
 * ≥ 200 000 packets/s in self mode.
 */
import { defaultAddressPlan } from '../src/fuzz/addresses.js';
import { PacketGenerator, type FuzzMode } from '../src/fuzz/generator.js';
import { runCampaign } from '../src/fuzz/runner.js';
import { selfTargetFactory } from '../src/fuzz/self-target.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Packets per second of the generator alone (no target), answers not simulated. */
function generatorRate(mode: FuzzMode, count: number, seed: number): number {
  const g = new PacketGenerator({ seed, plan: defaultAddressPlan({ restricted: false, ipv6: true }), mode });
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    bytes += g.next(i * 10).length;
    g.timeStepUs();
  }
  const ms = performance.now() - t0;
  if (bytes === 0) throw new Error('generator produced nothing');
  return Math.round((count * 1000) / ms);
}

async function main(): Promise<void> {
  const count = arg('--count', 300_000);
  const runs = arg('--runs', 3);
  const seed = arg('--seed', 1);
  const coldCpu0 = process.cpuUsage();
  const warm = await runCampaign({ factory: selfTargetFactory, seed, count, mode: 'mixed' });
  const coldCpu = process.cpuUsage(coldCpu0);
  if (warm.failure !== null) throw new Error(`warm-up run failed: ${warm.failure.message}`);
  const modes: FuzzMode[] = ['random', 'mutate', 'attack', 'mixed'];
  const results: Record<string, { packetsPerSecond: number; packetsPerCpuSecond: number; runs: number[]; answers: number; healthChecks: number }> = {};
  for (const mode of modes) {
    const rates: number[] = [];
    const cpuRates: number[] = [];
    let answers = 0;
    let healthChecks = 0;
    for (let r = 0; r < runs; r++) {
      const cpu0 = process.cpuUsage();
      const rep = await runCampaign({ factory: selfTargetFactory, seed: seed + 1 + r, count, mode });
      const cpu = process.cpuUsage(cpu0);
      if (rep.failure !== null) throw new Error(`${mode} run ${r} failed: ${rep.failure.message}`);
      rates.push(Math.round(rep.packetsPerSecond));
      // Per CPU second: what the rate would be on a core of its own (other processes on a shared machine excluded).
      cpuRates.push(Math.round((count * 1e6) / (cpu.user + cpu.system)));
      answers = rep.outputs;
      healthChecks = rep.healthChecks;
    }
    results[mode] = { packetsPerSecond: median(rates), packetsPerCpuSecond: median(cpuRates), runs: rates, answers, healthChecks };
  }
  const generator: Record<string, number> = {};
  for (const mode of ['random', 'mutate', 'mixed'] as const) generator[mode] = generatorRate(mode, count, seed);
  const out = {
    bench: 'fuzz',
    target: 'self',
    node: process.version,
    packetsPerRun: count,
    runs,
    coldMixed: Math.round(warm.packetsPerSecond),
    // The JIT compiles on other threads during the cold run: per CPU second counts them too.
    coldMixedPerCpuSecond: Math.round((count * 1e6) / (coldCpu.user + coldCpu.system)),
    results,
    generatorOnly: generator,
    goalPacketsPerSecond: 200_000,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/fuzz: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
