import { ATTACKS, type AttackStep } from './attacks.js';
import type { GenContext } from './gen-context.js';
import { TcpSession, sessionEndpoints, type SynOffer } from './tcp-session.js';
import { emptyTcpReply, readTcpReply } from './wire.js';

/** One connection under attack. */
interface Slot {
  readonly s: TcpSession;
  readonly startedUs: number;
  stepsLeft: number;
}

/** Counters of the connection-attack stream. */
export interface AttackStats {
  /** Handshakes started, and completed (a SYN-ACK came and we ACKed it). */
  opened: number;
  established: number;
  /** Attack steps run, by name. */
  steps: Record<string, number>;
}

/** The attacks' names and steps as two flat arrays (no destructuring of a pair per step). */
const ATTACK_NAMES: readonly string[] = ATTACKS.map(([name]) => name);
const ATTACK_STEPS: readonly AttackStep[] = ATTACKS.map(([, step]) => step);

/** Give up on a handshake after this long on the target's clock (µs). */
const HANDSHAKE_TIMEOUT_US = 500_000;

/**
 * Runs the connection attacks: a few TCP sessions at a time, each opened
 * with a real handshake (our SYN with a random choice of options, the
 * target's SYN-ACK, our ACK), then put through 3-40 attack steps, then
 * reset with a RST the target must accept — so that abandoned connections
 * do not pile up in the target and look like a leak.
 */
export class AttackEngine {
  private readonly slots: Array<Slot | null>;
  private readonly queue: Uint8Array[] = [];
  private readonly reply = emptyTcpReply();
  private opened = 0;
  private established = 0;
  /** Runs per attack (indexed as ATTACKS), and the attacks in the order they first ran (the order `steps` lists them). */
  private readonly stepRuns = new Float64Array(ATTACKS.length);
  private readonly firstRun: number[] = [];

  constructor(
    private readonly g: GenContext,
    concurrent = 3,
  ) {
    this.slots = new Array<Slot | null>(concurrent).fill(null);
  }

  /** A snapshot of the counters. */
  get stats(): AttackStats {
    const steps: Record<string, number> = {};
    for (const k of this.firstRun) steps[ATTACK_NAMES[k]!] = this.stepRuns[k]!;
    return { opened: this.opened, established: this.established, steps };
  }

  /** Feeds one packet the target sent to the session it belongs to. */
  onOutput(p: Uint8Array): void {
    if (!readTcpReply(p, this.reply)) return;
    for (const slot of this.slots) {
      if (slot === null || !slot.s.matches(this.reply, p)) continue;
      const wasOpening = slot.s.state === 'syn-sent';
      slot.s.handle(this.reply, p);
      if (wasOpening && slot.s.state === 'established') this.established++;
      this.collect(slot.s);
      return;
    }
  }

  /** The next attack packet, or null when every session waits for the target. */
  next(nowUs: number): Uint8Array | null {
    if (this.queue.length > 0) return this.queue.shift()!;
    const dice = this.g.dice;
    const i = dice.below(this.slots.length);
    const slot = this.slots[i] ?? null;
    if (slot === null || slot.s.state === 'closed' || slot.s.state === 'idle') {
      this.slots[i] = this.open(nowUs);
    } else if (slot.s.state === 'syn-sent') {
      if (nowUs - slot.startedUs <= HANDSHAKE_TIMEOUT_US) return null;
      slot.s.abort();
      this.collect(slot.s);
      this.slots[i] = null;
    } else if (slot.stepsLeft-- <= 0) {
      slot.s.abort();
      this.collect(slot.s);
      this.slots[i] = null;
    } else {
      const k = dice.below(ATTACK_STEPS.length);
      if (this.stepRuns[k]++ === 0) this.firstRun.push(k);
      ATTACK_STEPS[k]!(slot.s, this.g);
      this.collect(slot.s);
    }
    return this.queue.shift() ?? null;
  }

  /** Resets every open session (end of a run). */
  closeAll(): Uint8Array[] {
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i];
      if (slot === null || slot === undefined) continue;
      slot.s.abort();
      this.collect(slot.s);
      this.slots[i] = null;
    }
    return this.queue.splice(0);
  }

  private open(nowUs: number): Slot {
    const g = this.g;
    const d = g.dice;
    const plan = g.plan;
    const v6 = plan.ipv6 && d.chance(25);
    const ep = v6 ? sessionEndpoints(plan.fuzzer6, plan.target6) : sessionEndpoints(plan.fuzzer4, plan.target4);
    const s = new TcpSession(ep, d.range(1024, 65535), plan.echoPort, d.u32(), g.pool, d);
    const offer: SynOffer = {
      mss: d.chance(70) ? 1460 : d.chance(40) ? -1 : d.pick([0, 1, 64, 88, 536, 1220, 9000, 65535]),
      wscale: d.chance(60) ? 7 : d.chance(50) ? -1 : d.below(20),
      sackOk: d.chance(70),
      timestamps: d.chance(60),
      window: d.chance(80) ? 65535 : d.below(0x10000),
    };
    if (d.chance(10)) {
      const extra = new Uint8Array(d.range(1, 12));
      d.fill(extra, 0, extra.length);
      offer.extra = extra;
    }
    s.open(offer);
    this.opened++;
    this.collect(s);
    return { s, startedUs: nowUs, stepsLeft: d.range(3, 40) };
  }

  private collect(s: TcpSession): void {
    while (s.outbox.length > 0) this.queue.push(s.outbox.shift()!);
  }
}
