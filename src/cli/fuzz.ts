import { randomInt } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { toHex } from '../core/bytes.js';
import type { FuzzMode, FuzzProto } from '../fuzz/generator.js';
import { readIpPackets, readReproducer, writeReproducer } from '../fuzz/reproducer.js';
import { replayPackets } from '../fuzz/replay.js';
import { runCampaign, type CampaignProgress, type FuzzReport } from '../fuzz/runner.js';
import { selfTargetFactory } from '../fuzz/self-target.js';
import type { TargetFactory } from '../fuzz/target.js';
import { tunTargetFactory } from '../fuzz/tun-target.js';
import { processIo, UsageError, type CommandIo } from './io.js';

/**
 * `tsip fuzz`: protocol fuzzing of a TCP/IP stack.
 *
 * ```
 * tsip fuzz --target self|tun [--netns NS] [--seed S] [--count N] [--proto tcp|udp|icmp|ip]
 *           [--mode mixed|random|mutate|attack] [--seeds FILE.pcap] [--health-every K]
 *           [--repro FILE.pcap] [--no-shrink] [--json FILE]
 * tsip fuzz --replay FILE.pcap [--target self|tun] [--netns NS] [--json FILE]
 * ```
 * Exit status: 0 no failure (or, with --replay, the reproducer no longer
 * fails), 1 a failure (still failing), 2 usage.
 */

const USAGE =
  'usage: tsip fuzz [--target self|tun] [--netns NS] [--seed S] [--count N] [--proto tcp|udp|icmp|ip]\n' +
  '                 [--mode mixed|random|mutate|attack] [--seeds FILE.pcap] [--health-every K]\n' +
  '                 [--repro FILE.pcap] [--no-shrink] [--json FILE]\n' +
  '       tsip fuzz --replay FILE.pcap [--target self|tun] [--netns NS] [--json FILE]';

/** A CommandIo that may say whether its output is a terminal (for the progress line). */
export interface FuzzIo extends CommandIo {
  isTTY?: boolean;
}

/** Extra wiring for tests: more target kinds by name. */
export interface FuzzCommandOptions {
  targets?: Record<string, TargetFactory>;
}

interface FuzzArgs {
  target: string;
  targetGiven: boolean;
  netns: string | undefined;
  seed: number | undefined;
  count: number | undefined;
  proto: FuzzProto;
  mode: FuzzMode;
  seeds: string | undefined;
  replay: string | undefined;
  json: string | undefined;
  repro: string | undefined;
  healthEvery: number | undefined;
  shrink: boolean;
}

const PROTOS: readonly FuzzProto[] = ['all', 'tcp', 'udp', 'icmp', 'ip'];
const MODES: readonly FuzzMode[] = ['mixed', 'random', 'mutate', 'attack'];

function parseArgs(args: readonly string[]): FuzzArgs {
  const a: FuzzArgs = {
    target: 'self', targetGiven: false, netns: undefined, seed: undefined, count: undefined, proto: 'all', mode: 'mixed',
    seeds: undefined, replay: undefined, json: undefined, repro: undefined, healthEvery: undefined, shrink: true,
  };
  const value = (i: number, flag: string): string => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  const int = (text: string, flag: string, min: number, max: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} takes an integer in ${min}..${max}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const f = args[i]!;
    switch (f) {
      case '--target': a.target = value(i++, f); a.targetGiven = true; break;
      case '--netns': a.netns = value(i++, f); break;
      case '--seed': a.seed = int(value(i++, f), f, 0, 0xffffffff); break;
      case '--count': a.count = int(value(i++, f), f, 0, 1e12); break;
      case '--proto': {
        const p = PROTOS.find((x) => x === value(i, f));
        if (p === undefined) throw new UsageError(`--proto takes ${PROTOS.join('|')}`);
        a.proto = p;
        i++;
        break;
      }
      case '--mode': {
        const m = MODES.find((x) => x === value(i, f));
        if (m === undefined) throw new UsageError(`--mode takes ${MODES.join('|')}`);
        a.mode = m;
        i++;
        break;
      }
      case '--seeds': a.seeds = value(i++, f); break;
      case '--replay': a.replay = value(i++, f); break;
      case '--json': a.json = value(i++, f); break;
      case '--repro': a.repro = value(i++, f); break;
      case '--health-every': a.healthEvery = int(value(i++, f), f, 1, 1e9); break;
      case '--no-shrink': a.shrink = false; break;
      case '-h':
      case '--help':
        throw new UsageError(USAGE);
      default:
        throw new UsageError(`unknown argument ${f}\n${USAGE}`);
    }
  }
  if (a.netns !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(a.netns)) throw new UsageError('--netns: bad namespace name');
  return a;
}

function factoryFor(a: FuzzArgs, extra: Record<string, TargetFactory>): TargetFactory {
  const custom = extra[a.target];
  if (custom !== undefined) return custom;
  if (a.target === 'self') return selfTargetFactory;
  if (a.target === 'tun') return tunTargetFactory(a.netns !== undefined ? { netns: a.netns } : {});
  throw new UsageError(`--target takes self or tun${Object.keys(extra).length > 0 ? ` (or ${Object.keys(extra).join(', ')})` : ''}`);
}

/** `tsip fuzz` with the standard targets. */
export function runFuzz(args: string[], io: CommandIo): Promise<number> {
  return runFuzzWith(args, io, {});
}

/** `tsip fuzz`, with extra target kinds (tests register stub targets here). */
export async function runFuzzWith(args: string[], io: CommandIo, options: FuzzCommandOptions): Promise<number> {
  const a = parseArgs(args);
  const extra = options.targets ?? {};
  // The progress line is for people: only when writing to a terminal.
  const declared: boolean | undefined = 'isTTY' in io && typeof io.isTTY === 'boolean' ? io.isTTY : undefined;
  const tty = declared ?? (io === processIo && process.stdout.isTTY === true);
  if (a.replay !== undefined) return replay(a, io, extra);

  const factory = factoryFor(a, extra);
  const seed = a.seed ?? randomInt(0, 0x7fffffff);
  const count = a.count ?? (a.target === 'tun' ? 20_000 : 100_000);
  const seeds = a.seeds !== undefined ? (await readIpPackets(a.seeds)).map((p) => p.data) : [];
  const onProgress = tty
    ? (p: CampaignProgress): void =>
        io.out(`\r${p.packets}/${p.count} packets  ${Math.round(p.packetsPerSecond)} packets/s  ${p.outputs} answers\x1b[K`)
    : undefined;
  const report = await runCampaign({
    factory, seed, count, proto: a.proto, mode: a.mode, seeds, shrink: a.shrink,
    ...(a.healthEvery !== undefined ? { healthEvery: a.healthEvery } : {}),
    ...(onProgress !== undefined ? { onProgress } : {}),
  });
  if (tty) io.out('\r\x1b[K');
  io.out(`tsip fuzz: target ${report.target}: ${report.targetDescription}\n`);
  io.out(
    `seed ${report.seed}, proto ${report.proto}, mode ${report.mode}: ${report.packets} packets in ` +
      `${(report.elapsedMs / 1000).toFixed(2)} s (${Math.round(report.packetsPerSecond)} packets/s), ` +
      `${report.outputs} answers, ${report.healthChecks} health checks\n`,
  );
  const g = report.generator;
  const att = report.attacks;
  io.out(
    `  ${g.random} random, ${g.mutated} mutated (+${g.fragments} fragments), ${g.attack} connection-attack packets` +
      (att !== null ? ` (${att.established}/${att.opened} connections established)` : '') + '\n',
  );
  let reproPath: string | null = null;
  const f = report.failure;
  if (f === null) {
    io.out('no failure: the target stayed healthy\n');
  } else {
    io.out(`FAILURE after packet ${f.packetIndex}: ${f.kind}: ${f.message}\n`);
    if (f.stack !== undefined) io.out(`${indent(f.stack)}\n`);
    io.out(
      !a.shrink
        ? `  shrinking off: the reproducer holds the last ${f.recorded} packets\n`
        : f.reproduced
          ? `  shrunk from ${f.recorded} to ${f.packets.length} packet(s) in ${f.shrinkTests} replays\n`
          : `  not reproduced by replaying the last ${f.recorded} packets into a fresh target (kept all of them)\n`,
    );
    reproPath = a.repro ?? `tsip-fuzz-${report.target}-${report.seed}.pcap`;
    await writeReproducer(reproPath, f.packets, {
      tool: 'tsip fuzz', version: 1, target: report.target, seed: report.seed, targetSeed: report.targetSeed,
      proto: report.proto, mode: report.mode,
      failure: { kind: f.kind, message: f.message, packetIndex: f.packetIndex, atUs: f.atUs },
      packets: f.packets.length, recorded: f.recorded,
    });
    io.out(`  reproducer: ${reproPath} (seed ${report.seed}); replay: tsip fuzz --target ${report.target} --replay ${reproPath}\n`);
  }
  if (a.json !== undefined) await writeFile(a.json, `${JSON.stringify(reportJson(report, reproPath), null, 2)}\n`);
  return f === null ? 0 : 1;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** The report as JSON: the failure's packets as hex (they are few once shrunk). */
function reportJson(r: FuzzReport, reproducer: string | null): unknown {
  const f = r.failure;
  return {
    ...r,
    failure:
      f === null
        ? null
        : { ...f, reproducer, packets: f.packets.map((p) => ({ index: p.index, timeUs: p.timeUs, hex: toHex(p.data) })) },
  };
}

async function replay(a: FuzzArgs, io: CommandIo, extra: Record<string, TargetFactory>): Promise<number> {
  const file = a.replay!;
  const { packets, meta } = await readReproducer(file);
  const target = a.targetGiven ? a.target : (meta?.target ?? 'self');
  const factory = factoryFor({ ...a, target }, extra);
  const targetSeed = meta?.targetSeed ?? 0;
  io.out(`tsip fuzz: replaying ${packets.length} packet(s) from ${file} into target ${target}` + (meta !== null ? ` (seed ${meta.seed})` : '') + '\n');
  if (meta !== null) io.out(`  recorded failure: ${meta.failure.kind}: ${meta.failure.message}\n`);
  const started = performance.now();
  const failure = await replayPackets(packets, { factory, targetSeed, ...(meta !== null ? { untilUs: meta.failure.atUs } : {}) });
  const ms = performance.now() - started;
  if (failure === null) io.out(`does not fail: the target stayed healthy (${ms.toFixed(0)} ms)\n`);
  else io.out(`still fails: ${failure.kind}: ${failure.message} (${ms.toFixed(0)} ms)\n`);
  if (a.json !== undefined) {
    await writeFile(a.json, `${JSON.stringify({ replay: file, target, packets: packets.length, stillFails: failure !== null, failure }, null, 2)}\n`);
  }
  return failure === null ? 0 : 1;
}
