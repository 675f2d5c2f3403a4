import { emptyDissection } from '../craft/dissect.js';
import { clampAddresses, retarget, type AddressPlan } from './addresses.js';
import { AttackEngine } from './attack-engine.js';
import { Dice } from './dice.js';
import { GenContext } from './gen-context.js';
import { Mutator } from './mutator.js';
import { randomIcmp, randomIcmp6, randomIp, randomTcp, randomUdp } from './random-packets.js';
import { buildTemplates, classify, type PacketClass, type Template } from './templates.js';

/** `--proto`: which packets to generate. */
export type FuzzProto = 'all' | 'tcp' | 'udp' | 'icmp' | 'ip';
/** Where packets come from: a mix (the default), or one source only (the benchmark's modes). */
export type FuzzMode = 'mixed' | 'random' | 'mutate' | 'attack';

/** Options for {@link PacketGenerator}. */
export interface GeneratorOptions {
  seed: number;
  plan: AddressPlan;
  proto?: FuzzProto;
  mode?: FuzzMode;
  /** Extra starting points for mutation (e.g. the packets of a capture), re-aimed from the fuzzer at the target. */
  seeds?: readonly Uint8Array[];
  /** Longest packet to emit (the target's MTU). */
  maxLength?: number;
}

/** What the generator produced, by source. */
export interface GeneratorStats {
  random: number;
  mutated: number;
  attack: number;
  /** Extra fragments queued by the mutator. */
  fragments: number;
}

/**
 * The fuzzer's packet source. Deterministic: the same seed, options and
 * target answers give the same packets. Every packet is the caller's own
 * bytes; writing happens in one scratch buffer, and the finished packet is
 * copied once into memory carved from a shared pool (see PacketPool).
 */
export class PacketGenerator {
  readonly stats: GeneratorStats = { random: 0, mutated: 0, attack: 0, fragments: 0 };
  readonly attacks: AttackEngine | null;
  private readonly g: GenContext;
  private readonly mutator: Mutator;
  private readonly templates: Template[];
  private readonly classes: PacketClass[];
  private readonly pending: Uint8Array[] = [];
  private readonly mode: FuzzMode;
  private readonly maxLength: number;
  private readonly scratchDissection = emptyDissection();

  constructor(options: GeneratorOptions) {
    const proto = options.proto ?? 'all';
    this.mode = options.mode ?? 'mixed';
    this.maxLength = options.maxLength ?? 1500;
    this.g = new GenContext(new Dice(options.seed), options.plan);
    this.mutator = new Mutator(this.g);
    this.classes = proto === 'all' ? ['tcp', 'udp', 'icmp', 'ip'] : [proto];
    const allowed = (c: PacketClass): boolean => this.classes.includes(c);
    const seeds = (options.seeds ?? []).map((bytes) => ({ cls: classify(bytes), bytes: retarget(bytes, options.plan) }));
    this.templates = [...buildTemplates(options.plan), ...seeds].filter((t) => allowed(t.cls));
    // Seeds alone when mutating only a capture's packets would be too narrow: templates stay in.
    this.attacks = allowed('tcp') ? new AttackEngine(this.g) : null;
  }

  /** Lets the TCP sessions see what the target sent. */
  onOutput(p: Uint8Array): void {
    this.attacks?.onOutput(p);
  }

  /** The next packet to send, given the target's current time (for handshake timeouts). */
  next(nowUs: number): Uint8Array {
    const p = this.pending.length > 0 ? this.pending.shift()! : this.produce(nowUs);
    if (this.g.plan.restricted) clampAddresses(p, p.length, this.scratchDissection, this.g.plan.probe4);
    return p;
  }

  /**
   * Virtual time to let pass after a packet: mostly microseconds (a busy
   * link), sometimes milliseconds, rarely seconds to a minute — so that
   * retransmission, delayed-ACK, SYN-RECV, reassembly and TIME-WAIT timers
   * all fire during a run.
   */
  timeStepUs(): number {
    const d = this.g.dice;
    const r = d.below(10_000);
    if (r < 7_000) return d.below(20);
    if (r < 9_900) return d.range(20, 2_000);
    if (r < 9_995) return d.range(10_000, 1_000_000);
    return d.range(10_000_000, 70_000_000);
  }

  /** RSTs for the sessions still open (sent at the end of a run, before the last health check). */
  finish(): Uint8Array[] {
    return this.attacks?.closeAll() ?? [];
  }

  private produce(nowUs: number): Uint8Array {
    const d = this.g.dice;
    let source = this.mode;
    if (source === 'mixed') {
      const r = d.below(100);
      source = r < 15 && this.attacks !== null ? 'attack' : r < 60 ? 'mutate' : 'random';
    }
    if (source === 'attack' && this.attacks !== null) {
      const p = this.attacks.next(nowUs);
      if (p !== null) {
        this.stats.attack++;
        return p.length > this.maxLength ? p.subarray(0, this.maxLength) : p;
      }
      source = 'random';
    }
    let len: number;
    if (source === 'mutate' && this.templates.length > 0) {
      const before = this.pending.length;
      len = this.mutator.mutate(d.pick(this.templates), this.pending, this.maxLength);
      this.stats.fragments += this.pending.length - before;
      this.stats.mutated++;
    } else {
      len = this.random();
      this.stats.random++;
    }
    return this.g.pool.copy(this.g.buf, Math.min(len, this.maxLength));
  }

  private random(): number {
    const g = this.g;
    const d = g.dice;
    const v6 = g.plan.ipv6 && d.chance(20);
    switch (d.pick(this.classes)) {
      case 'tcp': return randomTcp(g, v6);
      case 'udp': return randomUdp(g, v6);
      case 'icmp': return v6 ? randomIcmp6(g) : randomIcmp(g);
      case 'ip': return randomIp(g, v6);
    }
  }
}
