import type { StackContext } from '../core/context.js';
import type { PacketBuffer } from '../core/packet-buffer.js';
import { randomUnit } from '../core/random.js';
import { Timer } from '../core/scheduler.js';

/**
 * Neighbour Unreachability Detection states (RFC 4861 §7.3.2). Linux runs
 * ARP through the same state machine, and so do we: one cache type serves
 * ARP (keys are IPv4 numbers) and, later, NDP.
 */
export type NudState = 'incomplete' | 'reachable' | 'stale' | 'delay' | 'probe';

/** Timing and size knobs (Linux /proc/sys/net/ipv4/neigh/default names in comments). */
export interface NeighborConfig {
  /** base_reachable_time_ms: REACHABLE lasts a random 0.5–1.5 times this (RFC 4861 §6.3.2). */
  baseReachableUs: number;
  /** retrans_time_ms: between solicitations for one address — at most one per second (RFC 1122 §2.3.2.1). */
  retransUs: number;
  /** delay_first_probe_time: how long DELAY waits for an upper-layer confirmation. */
  delayFirstProbeUs: number;
  /** mcast_solicit: broadcast/multicast solicitations before giving up. */
  maxMulticastSolicit: number;
  /** ucast_solicit: unicast probes in PROBE before giving up. */
  maxUnicastSolicit: number;
  /** unres_qlen: packets held per address while resolving (RFC 1122 §2.3.2.2 asks for at least one). */
  queueLength: number;
  /** gc_thresh3: most entries kept; the least recently used stale ones go first. */
  maxEntries: number;
}

export const DEFAULT_NEIGHBOR_CONFIG: NeighborConfig = {
  baseReachableUs: 30_000_000,
  retransUs: 1_000_000,
  delayFirstProbeUs: 5_000_000,
  maxMulticastSolicit: 3,
  maxUnicastSolicit: 3,
  queueLength: 3,
  maxEntries: 1024,
};

/** What the cache asks of the protocol that owns it. */
export interface NeighborOps<K> {
  /** Sends a solicitation for `target`: broadcast/multicast when `unicastMac` is null (INCOMPLETE), unicast in PROBE. */
  solicit(target: K, unicastMac: Uint8Array | null): void;
  /** Sends a packet to a resolved hardware address. */
  transmit(pkt: PacketBuffer, mac: Uint8Array): void;
  /**
   * Resolution of `target` failed; `dropped` queued packets were discarded.
   * `queue` holds them, for a protocol that reports the failure to their
   * senders (NDP: ICMPv6 address unreachable, RFC 4861 §7.2.2).
   */
  failed(target: K, dropped: number, queue?: readonly PacketBuffer[]): void;
}

/** One cache entry, as `ip neigh` shows it. */
export interface NeighborEntry<K> {
  readonly key: K;
  state: NudState;
  mac: Uint8Array | null;
  /** Last time reachability was confirmed (µs). */
  confirmedAt: number;
  /** Last time the entry was used to send (µs). */
  usedAt: number;
  /** Duration of this entry's REACHABLE period (randomised per RFC 4861 §6.3.2). */
  reachableUs: number;
  probes: number;
  queue: PacketBuffer[];
  timer: Timer | null;
}

/** The neighbour cache of one interface for one protocol. */
export class NeighborCache<K extends number | string> {
  private readonly entries = new Map<K, NeighborEntry<K>>();

  constructor(
    private readonly ctx: StackContext,
    private readonly ops: NeighborOps<K>,
    readonly config: NeighborConfig = DEFAULT_NEIGHBOR_CONFIG,
  ) {}

  /** Number of entries. */
  get size(): number {
    return this.entries.size;
  }

  /** The entry for `key` with its state brought up to date, if any. */
  get(key: K): NeighborEntry<K> | undefined {
    const e = this.entries.get(key);
    if (e) this.age(e);
    return e;
  }

  /** Every entry (for `ip neigh`-style listings). */
  list(): NeighborEntry<K>[] {
    const out = [...this.entries.values()];
    for (const e of out) this.age(e);
    return out;
  }

  /**
   * Sends `pkt` to neighbour `key`: at once when its address is known
   * (starting a reachability check when the entry is stale), else queued
   * while a solicitation goes out. Returns false when the packet was dropped
   * because the queue for that neighbour is full.
   */
  output(key: K, pkt: PacketBuffer): boolean {
    const now = this.ctx.clock.now();
    let e = this.entries.get(key);
    if (e === undefined) {
      e = this.create(key, 'incomplete', null, now);
      e.queue.push(pkt);
      this.startSolicit(e);
      return true;
    }
    this.age(e);
    e.usedAt = now;
    if (e.state === 'incomplete') {
      if (e.queue.length >= this.config.queueLength) {
        // Linux drops the oldest queued packet to make room for the newest.
        e.queue.shift();
        e.queue.push(pkt);
        return false;
      }
      e.queue.push(pkt);
      return true;
    }
    if (e.state === 'stale') {
      // RFC 4861 §7.3.3: first use of a STALE entry moves it to DELAY.
      e.state = 'delay';
      this.arm(e, this.config.delayFirstProbeUs);
    }
    this.ops.transmit(pkt, e.mac!);
    return true;
  }

  /**
   * Records what a received packet says about `key`'s hardware address
   * (RFC 4861 §7.2.5, RFC 826's merge step). `solicited` answers our own
   * solicitation and proves reachability; otherwise the entry becomes STALE
   * (or is created STALE when `create` is set, as for an ARP request to us).
   */
  update(key: K, mac: Uint8Array, solicited: boolean, create: boolean): void {
    const now = this.ctx.clock.now();
    let e = this.entries.get(key);
    if (e === undefined) {
      if (!create && !solicited) return;
      e = this.create(key, solicited ? 'reachable' : 'stale', mac.slice(), now);
      return;
    }
    const changed = e.mac === null || !sameMac(e.mac, mac);
    if (changed) e.mac = mac.slice();
    if (solicited) {
      e.state = 'reachable';
      e.confirmedAt = now;
      e.probes = 0;
      this.disarm(e);
    } else if (changed || e.state === 'incomplete') {
      e.state = 'stale';
      this.disarm(e);
    }
    this.flush(e);
  }

  /** Upper-layer confirmation of reachability (e.g. TCP saw new data acknowledged), RFC 4861 §7.3.1. */
  confirm(key: K): void {
    const e = this.entries.get(key);
    if (!e || e.mac === null) return;
    e.state = 'reachable';
    e.confirmedAt = this.ctx.clock.now();
    e.probes = 0;
    this.disarm(e);
  }

  /** Forgets every entry, dropping queued packets and timers. */
  clear(): void {
    for (const e of this.entries.values()) this.disarm(e);
    this.entries.clear();
  }

  private create(key: K, state: NudState, mac: Uint8Array | null, now: number): NeighborEntry<K> {
    if (this.entries.size >= this.config.maxEntries) this.evict();
    const e: NeighborEntry<K> = {
      key,
      state,
      mac,
      confirmedAt: state === 'reachable' ? now : 0,
      usedAt: now,
      reachableUs: Math.round(this.config.baseReachableUs * (0.5 + randomUnit(this.ctx.random))),
      probes: 0,
      queue: [],
      timer: null,
    };
    this.entries.set(key, e);
    return e;
  }

  /** REACHABLE turns STALE lazily once its reachable time has passed: no timer per entry. */
  private age(e: NeighborEntry<K>): void {
    if (e.state === 'reachable' && this.ctx.clock.now() - e.confirmedAt >= e.reachableUs) e.state = 'stale';
  }

  private evict(): void {
    let victim: NeighborEntry<K> | undefined;
    for (const e of this.entries.values()) {
      if (e.state === 'incomplete' || e.state === 'probe') continue;
      if (!victim || e.usedAt < victim.usedAt) victim = e;
    }
    victim ??= this.entries.values().next().value;
    if (victim) {
      this.disarm(victim);
      this.entries.delete(victim.key);
    }
  }

  private startSolicit(e: NeighborEntry<K>): void {
    e.probes = 1;
    this.ops.solicit(e.key, null);
    this.arm(e, this.config.retransUs);
  }

  private arm(e: NeighborEntry<K>, delayUs: number): void {
    e.timer ??= new Timer(() => this.onTimer(e), 'neigh');
    this.ctx.timers.armIn(e.timer, delayUs);
  }

  private disarm(e: NeighborEntry<K>): void {
    if (e.timer) this.ctx.timers.disarm(e.timer);
  }

  private onTimer(e: NeighborEntry<K>): void {
    const c = this.config;
    switch (e.state) {
      case 'incomplete':
        if (e.probes >= c.maxMulticastSolicit) return this.fail(e);
        e.probes++;
        this.ops.solicit(e.key, null);
        this.arm(e, c.retransUs);
        return;
      case 'delay':
        // No confirmation arrived: probe the cached address by unicast (RFC 4861 §7.3.3).
        e.state = 'probe';
        e.probes = 1;
        this.ops.solicit(e.key, e.mac);
        this.arm(e, c.retransUs);
        return;
      case 'probe':
        if (e.probes >= c.maxUnicastSolicit) return this.fail(e);
        e.probes++;
        this.ops.solicit(e.key, e.mac);
        this.arm(e, c.retransUs);
        return;
      default:
        return;
    }
  }

  private fail(e: NeighborEntry<K>): void {
    this.disarm(e);
    this.entries.delete(e.key);
    const queue = e.queue;
    e.queue = [];
    this.ops.failed(e.key, queue.length, queue);
  }

  private flush(e: NeighborEntry<K>): void {
    if (e.mac === null || e.queue.length === 0) return;
    const q = e.queue;
    e.queue = [];
    for (const pkt of q) this.ops.transmit(pkt, e.mac);
  }
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
