import type { IPv4Address, IPv6Address } from '../core/address.js';
import { key6 } from './ipv6-address.js';

/**
 * Per-destination path MTU for both families (RFC 1191 for IPv4, RFC 8201
 * for IPv6), shaped as Linux keeps it in route exceptions:
 * - an ICMP "fragmentation needed" / "packet too big" only ever lowers the
 *   estimate (RFC 1191 §3, RFC 8201 §4: never raise it from a report);
 * - a reported value under the floor is raised to the floor — 552 for IPv4
 *   (Linux's min_pmtu), 1280 for IPv6 (RFC 8201 §4, the minimum link MTU);
 * - an estimate expires after 10 minutes (Linux's mtu_expires; RFC 1191 §6.3
 *   and RFC 8201 §4 suggest probing upward no sooner than 5 minutes), after
 *   which the interface MTU applies again.
 *
 * Entries are looked up on every send, so IPv4 keys are the address number;
 * IPv6 keys are strings, built only for destinations that do have an entry
 * (the `v6count` check skips the key when the table holds no IPv6 entry).
 */
export interface PmtuConfig {
  /** Lifetime of a learned value, µs (default 600 s). */
  expiresUs: number;
  /** Floor for IPv4 (default 552). */
  minV4: number;
  /** Floor for IPv6 (default 1280). */
  minV6: number;
  /** Most destinations remembered; the oldest entry goes first (default 4096). */
  maxEntries: number;
}

export const DEFAULT_PMTU_CONFIG: PmtuConfig = {
  expiresUs: 600_000_000,
  minV4: 552,
  minV6: 1280,
  maxEntries: 4096,
};

interface Entry {
  mtu: number;
  expiresAt: number;
  readonly family: 4 | 6;
}

/** One learned path MTU, as `ip route get` shows it with `expires`. */
export interface PmtuEntryView {
  readonly family: 4 | 6;
  readonly mtu: number;
  /** Absolute expiry on the stack clock, µs. */
  readonly expiresAt: number;
}

/** The path MTU cache of one stack. */
export class PmtuCache {
  readonly config: PmtuConfig;
  private readonly entries = new Map<number | string, Entry>();
  private v6count = 0;

  constructor(config: Partial<PmtuConfig> = {}) {
    this.config = { ...DEFAULT_PMTU_CONFIG, ...config };
  }

  /** Number of live (perhaps expired but not yet collected) entries. */
  get size(): number {
    return this.entries.size;
  }

  /** The learned path MTU toward `dst`, or `Infinity` when none is known (or it expired). */
  get(dst: IPv4Address | IPv6Address, now: number): number {
    if (this.entries.size === 0) return Infinity;
    if (typeof dst !== 'number' && this.v6count === 0) return Infinity;
    const key = typeof dst === 'number' ? dst : key6(dst);
    const e = this.entries.get(key);
    if (e === undefined) return Infinity;
    if (now >= e.expiresAt) {
      this.delete(key, e);
      return Infinity;
    }
    return e.mtu;
  }

  /** The entry for `dst`, if live. */
  entry(dst: IPv4Address | IPv6Address, now: number): PmtuEntryView | null {
    const mtu = this.get(dst, now);
    if (mtu === Infinity) return null;
    const e = this.entries.get(typeof dst === 'number' ? dst : key6(dst))!;
    return { family: e.family, mtu: e.mtu, expiresAt: e.expiresAt };
  }

  /**
   * Records a reported MTU toward `dst`, where `current` is the path MTU in
   * use now (interface MTU or an earlier estimate). Returns the new path
   * MTU when the estimate went down, or 0 when the report changed nothing.
   */
  update(dst: IPv4Address | IPv6Address, reported: number, current: number, now: number): number {
    const family = typeof dst === 'number' ? 4 : 6;
    const floor = family === 4 ? this.config.minV4 : this.config.minV6;
    const mtu = Math.max(reported, floor);
    if (mtu >= current) return 0;
    const key = typeof dst === 'number' ? dst : key6(dst);
    const old = this.entries.get(key);
    if (old !== undefined) {
      // Refresh the position too: the Map's order is the eviction order.
      this.entries.delete(key);
    } else {
      if (this.entries.size >= this.config.maxEntries) this.evictOldest();
      if (family === 6) this.v6count++;
    }
    this.entries.set(key, { mtu, expiresAt: now + this.config.expiresUs, family });
    return mtu;
  }

  /** Forgets what was learned about `dst`. */
  forget(dst: IPv4Address | IPv6Address): void {
    const key = typeof dst === 'number' ? dst : key6(dst);
    const e = this.entries.get(key);
    if (e !== undefined) this.delete(key, e);
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
    this.v6count = 0;
  }

  private evictOldest(): void {
    const first = this.entries.entries().next();
    if (!first.done) this.delete(first.value[0], first.value[1]);
  }

  private delete(key: number | string, e: Entry): void {
    this.entries.delete(key);
    if (e.family === 6) this.v6count--;
  }
}
