/**
 * Protocol fuzzing: a seeded packet generator (random, mutated, connection
 * attacks), targets to drive (a tsip stack in process, the Linux kernel
 * behind TUN in a namespace, or your own), a health oracle, delta-debugging
 * shrinking and pcap reproducers. `tsip fuzz` (src/cli/fuzz.ts) is a thin
 * shell over {@link runCampaign} and {@link replayPackets}.
 */
export * from './addresses.js';
export type { AttackStats } from './attack-engine.js';
export { Driver } from './driver.js';
export * from './failure.js';
export { PacketGenerator, type FuzzMode, type FuzzProto, type GeneratorOptions, type GeneratorStats } from './generator.js';
export { HealthOracle, REAL_HEALTH_TIMING, VIRTUAL_HEALTH_TIMING, type HealthTiming } from './health.js';
export { malformed, OutputChecker } from './output-check.js';
export { Recorder, type RecordedPacket } from './recorder.js';
export { replayPackets, type ReplayOptions } from './replay.js';
export * from './reproducer.js';
export * from './runner.js';
export { SelfTarget, selfTargetFactory, type SelfTargetOptions } from './self-target.js';
export { shrinkBytes, shrinkSequence, type ShrinkBudget, type ShrinkResult } from './shrink.js';
export type { FuzzTarget, OutputHandler, TargetFactory } from './target.js';
export { TcpSession, sessionEndpoints, type SegmentSpec, type SynOffer } from './tcp-session.js';
export { TunTarget, tunTargetFactory, type TunTargetOptions } from './tun-target.js';
