import type { Clock, ClockTimer } from '../core/clock.js';
import { randomBelow, randomUnit, type RandomSource } from '../core/random.js';
import { LinkDecorator, type Link } from './link.js';

/**
 * What the injector does to one direction of traffic. Plain data: the
 * mutable state (token bucket, held frame, timers, counters) lives apart in
 * the injector, so a config can be shared, logged or swapped at run time.
 * Every probability is in [0, 1]; a 0 turns that fault off (and draws no
 * random number for it).
 */
export interface FaultConfig {
  /** Probability of silently dropping a frame. */
  readonly dropProbability: number;
  /** Probability of sending a frame twice (the second is a copy, right after the first). */
  readonly duplicateProbability: number;
  /** Probability of holding a frame back so later ones overtake it. */
  readonly reorderProbability: number;
  /**
   * How a reordered frame is held: 0 = until the next frame has gone out,
   * then right after it (one frame held at a time); > 0 = for this many µs
   * on top of any delay, whatever passes meanwhile.
   */
  readonly reorderDelayUs: number;
  /** With `reorderDelayUs` 0: release a held frame after this long if no next frame comes (µs). */
  readonly reorderTimeoutUs: number;
  /** Probability of flipping exactly one random bit (in a copy of the frame). */
  readonly corruptProbability: number;
  /** Extra delay added to every frame (µs). */
  readonly delayUs: number;
  /** Up to this many µs more, uniformly at random (frames may overtake each other). */
  readonly jitterUs: number;
  /** Token-bucket rate limit in bits/s; frames finding too few tokens are dropped. 0 = unlimited. */
  readonly rateBps: number;
  /** Bucket size in bytes (the largest burst); 0 = one largest frame of the link. */
  readonly burstBytes: number;
  /** Frames longer than this are dropped; 0 = no limit. */
  readonly maxFrameBytes: number;
}

/** A configuration that changes nothing. */
export const NO_FAULTS: FaultConfig = Object.freeze({
  dropProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderDelayUs: 0,
  reorderTimeoutUs: 10_000,
  corruptProbability: 0,
  delayUs: 0,
  jitterUs: 0,
  rateBps: 0,
  burstBytes: 0,
  maxFrameBytes: 0,
});

/** The two directions: `tx` is what the stack sends, `rx` what it receives. */
export type FaultDirection = 'tx' | 'rx';

/** What the injector did in one direction. */
export class FaultStats {
  /** Frames that reached the injector. */
  offered = 0;
  /** Frames passed on (duplicates included). */
  forwarded = 0;
  /** Dropped at random. */
  dropped = 0;
  /** Dropped by the rate limit. */
  droppedRate = 0;
  /** Dropped for exceeding `maxFrameBytes`. */
  droppedOversize = 0;
  /** Held or delayed frames discarded by close(). */
  droppedClosed = 0;
  duplicated = 0;
  reordered = 0;
  corrupted = 0;
  /** Frames whose emission was postponed by delay or jitter. */
  delayed = 0;
}

/** Mutable per-direction state. */
class DirectionState {
  readonly stats = new FaultStats();
  tokens: number;
  refilledAt: number;
  held: Uint8Array | null = null;
  heldTimer: ClockTimer | null = null;
  /** Delayed frames' wakeups. */
  readonly pending = new Set<ClockTimer>();
  constructor(tokens: number, now: number) {
    this.tokens = tokens;
    this.refilledAt = now;
  }
}

/** Options for {@link FaultInjector}. */
export interface FaultInjectorOptions {
  clock: Clock;
  /** Decides every fault; a SeededRandom makes runs repeat exactly. */
  random: RandomSource;
  tx?: Partial<FaultConfig>;
  rx?: Partial<FaultConfig>;
}

/**
 * Impairs the traffic of a link, seeded and per direction: drops, duplicates,
 * reordering, single-bit corruption, delay with jitter, a token-bucket rate
 * limit, a frame size limit. For each frame the decisions are taken in that
 * order: size, drop, rate, corrupt, duplicate, then per copy reorder and
 * delay. Same seed, same config, same traffic at the same clock times: same
 * decisions. It never throws on traffic (only on a bad configuration).
 *
 * Frames received from the link are only valid during the receive call, so
 * the injector copies any inbound frame it holds, delays or corrupts.
 */
export class FaultInjector extends LinkDecorator {
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly cfg: { tx: FaultConfig; rx: FaultConfig };
  private readonly state: { tx: DirectionState; rx: DirectionState };
  private closed = false;

  constructor(inner: Link, options: FaultInjectorOptions) {
    super(inner);
    this.clock = options.clock;
    this.random = options.random;
    this.cfg = { tx: checked({ ...NO_FAULTS, ...options.tx }), rx: checked({ ...NO_FAULTS, ...options.rx }) };
    const now = this.clock.now();
    this.state = {
      tx: new DirectionState(this.burst(this.cfg.tx), now),
      rx: new DirectionState(this.burst(this.cfg.rx), now),
    };
  }

  /** The configuration of a direction. */
  config(direction: FaultDirection): FaultConfig {
    return this.cfg[direction];
  }

  /** Changes some settings of a direction from now on (state such as held frames is kept). */
  configure(direction: FaultDirection, changes: Partial<FaultConfig>): void {
    const next = checked({ ...this.cfg[direction], ...changes });
    this.cfg[direction] = next;
    const st = this.state[direction];
    st.tokens = Math.min(st.tokens, this.burst(next));
  }

  /** Counters of a direction (live object). */
  stats(direction: FaultDirection): FaultStats {
    return this.state[direction].stats;
  }

  override send(frame: Uint8Array): void {
    this.process('tx', frame);
  }

  override close(): void {
    if (!this.closed) {
      this.closed = true;
      for (const dir of ['tx', 'rx'] as const) {
        const st = this.state[dir];
        for (const t of st.pending) this.clock.cancel(t);
        st.stats.droppedClosed += st.pending.size;
        st.pending.clear();
        if (st.heldTimer !== null) this.clock.cancel(st.heldTimer);
        if (st.held !== null) st.stats.droppedClosed++;
        st.held = null;
        st.heldTimer = null;
      }
    }
    this.inner.close();
  }

  protected override deliver(frame: Uint8Array): void {
    this.process('rx', frame);
  }

  private process(dir: FaultDirection, frame: Uint8Array): void {
    const st = this.state[dir];
    const stats = st.stats;
    if (this.closed) return;
    const cfg = this.cfg[dir];
    stats.offered++;
    if (cfg.maxFrameBytes > 0 && frame.length > cfg.maxFrameBytes) {
      stats.droppedOversize++;
      return;
    }
    if (cfg.dropProbability > 0 && randomUnit(this.random) < cfg.dropProbability) {
      stats.dropped++;
      return;
    }
    if (cfg.rateBps > 0 && !this.takeTokens(st, cfg, frame.length)) {
      stats.droppedRate++;
      return;
    }
    // Inbound frames must not outlive the receive call uncopied.
    let owned = dir === 'tx';
    if (cfg.corruptProbability > 0 && randomUnit(this.random) < cfg.corruptProbability && frame.length > 0) {
      frame = frame.slice();
      owned = true;
      const bit = randomBelow(this.random, frame.length * 8);
      frame[bit >>> 3] ^= 0x80 >>> (bit & 7);
      stats.corrupted++;
    }
    const dup = cfg.duplicateProbability > 0 && randomUnit(this.random) < cfg.duplicateProbability;
    this.stage(dir, cfg, st, frame, owned);
    if (dup) {
      stats.duplicated++;
      this.stage(dir, cfg, st, frame.slice(), true);
    }
  }

  /** Reorder and delay decisions for one copy of a frame. */
  private stage(dir: FaultDirection, cfg: FaultConfig, st: DirectionState, frame: Uint8Array, owned: boolean): void {
    let reorderWait = 0;
    if (cfg.reorderProbability > 0 && randomUnit(this.random) < cfg.reorderProbability) {
      if (cfg.reorderDelayUs > 0) {
        st.stats.reordered++;
        reorderWait = cfg.reorderDelayUs;
      } else if (st.held === null) {
        st.stats.reordered++;
        st.held = owned ? frame : frame.slice();
        st.heldTimer = this.clock.schedule(this.clock.now() + cfg.reorderTimeoutUs, () => {
          st.heldTimer = null;
          this.releaseHeld(dir, st);
        });
        return;
      }
      // Otherwise one is held already: this frame goes on normally and releases it.
    }
    let wait = cfg.delayUs;
    if (cfg.jitterUs > 0) wait += randomBelow(this.random, Math.floor(cfg.jitterUs) + 1);
    if (wait > 0) st.stats.delayed++;
    wait += reorderWait;
    if (wait > 0) {
      // A frame held back by reorderDelayUs is not the "next frame" that releases a held one.
      this.later(dir, st, owned ? frame : frame.slice(), wait, reorderWait === 0);
      return;
    }
    this.emit(dir, st, frame);
  }

  /** Emits `frame` after `us`; `releases` says whether it counts as the "next frame" for a held one. */
  private later(dir: FaultDirection, st: DirectionState, frame: Uint8Array, us: number, releases: boolean): void {
    const t = this.clock.schedule(this.clock.now() + us, () => {
      st.pending.delete(t);
      if (releases) this.emit(dir, st, frame);
      else this.out(dir, st, frame);
    });
    st.pending.add(t);
  }

  /** Sends a frame on, then any frame held back to follow it. */
  private emit(dir: FaultDirection, st: DirectionState, frame: Uint8Array): void {
    this.out(dir, st, frame);
    if (st.held !== null) {
      if (st.heldTimer !== null) this.clock.cancel(st.heldTimer);
      st.heldTimer = null;
      this.releaseHeld(dir, st);
    }
  }

  private releaseHeld(dir: FaultDirection, st: DirectionState): void {
    const held = st.held;
    st.held = null;
    if (held !== null) this.out(dir, st, held);
  }

  private out(dir: FaultDirection, st: DirectionState, frame: Uint8Array): void {
    if (this.closed) return;
    st.stats.forwarded++;
    if (dir === 'tx') this.inner.send(frame);
    else this.receiver?.(frame);
  }

  private takeTokens(st: DirectionState, cfg: FaultConfig, len: number): boolean {
    const now = this.clock.now();
    const burst = this.burst(cfg);
    // Refill continuously at rateBps/8 bytes per second (8e6 bits per byte·µs).
    st.tokens = Math.min(burst, st.tokens + ((now - st.refilledAt) * cfg.rateBps) / 8_000_000);
    st.refilledAt = now;
    if (st.tokens < len) return false;
    st.tokens -= len;
    return true;
  }

  private burst(cfg: FaultConfig): number {
    if (cfg.burstBytes > 0) return cfg.burstBytes;
    return this.inner.mtu + (this.inner.linkType === 'ethernet' ? 14 : 0);
  }
}

function checked(c: FaultConfig): FaultConfig {
  for (const k of ['dropProbability', 'duplicateProbability', 'reorderProbability', 'corruptProbability'] as const) {
    const p = c[k];
    if (!(p >= 0 && p <= 1)) throw new RangeError(`FaultInjector: ${k} must be in [0, 1], got ${p}`);
  }
  for (const k of [
    'reorderDelayUs',
    'reorderTimeoutUs',
    'delayUs',
    'jitterUs',
    'rateBps',
    'burstBytes',
    'maxFrameBytes',
  ] as const) {
    const v = c[k];
    if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`FaultInjector: ${k} must be a finite number ≥ 0, got ${v}`);
  }
  return Object.freeze(c);
}
