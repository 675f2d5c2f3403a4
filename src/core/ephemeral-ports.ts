import type { IPv4Address, IPv6Address } from './address.js';
import type { RandomSource } from './random.js';
import { KeyedHasher } from './siphash.js';

/** Options for {@link EphemeralPortAllocator}. */
export interface EphemeralPortOptions {
  /** Lowest port handed out (default 32768, Linux `ip_local_port_range`). */
  low?: number;
  /** Highest port handed out, inclusive (default 60999, Linux `ip_local_port_range`). */
  high?: number;
  /**
   * Number of perturbation counters (RFC 6056 §3.3.4's table T; default
   * 256). More counters make the ports used towards one destination less
   * predictable from those used towards another.
   */
  tableSize?: number;
}

/**
 * Local port selection by RFC 6056 §3.3.4 Algorithm 4, "Double-Hash Port
 * Selection", the algorithm Linux follows in `__inet_hash_connect()`:
 *
 *     offset = F(local_IP, remote_IP, remote_port, secret_key1)
 *     index  = G(local_IP, remote_IP, remote_port, secret_key2)
 *     for count = N..1:
 *         port = low + (offset + T[index]) mod N;  T[index]++
 *         if port is suitable: return port
 *
 * The offset spreads destinations over the range (an attacker cannot guess
 * the port used towards someone else), while the per-bucket counter T makes
 * successive connections towards the same destination take successive
 * ports, so a just-closed port (in TIME_WAIT) is the last to be reused.
 * Linux differs in details: its table has 2^16 entries, it starts at a
 * random even/odd parity and steps by 2; we keep the RFC's plain walk.
 *
 * One allocator per stack; secrets come from the injected RandomSource.
 */
export class EphemeralPortAllocator {
  /** Lowest port of the range. */
  readonly low: number;
  /** Highest port of the range (inclusive). */
  readonly high: number;
  private readonly f: KeyedHasher;
  private readonly g: KeyedHasher;
  private readonly table: Uint16Array;

  constructor(random: RandomSource, options: EphemeralPortOptions = {}) {
    this.low = options.low ?? 32768;
    this.high = options.high ?? 60999;
    const size = options.tableSize ?? 256;
    if (!Number.isInteger(this.low) || !Number.isInteger(this.high) || this.low < 1 || this.high > 65535 || this.low > this.high) {
      throw new RangeError(`EphemeralPortAllocator: bad range ${this.low}-${this.high}`);
    }
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`EphemeralPortAllocator: bad table size ${size}`);
    this.f = KeyedHasher.fromRandom(random);
    this.g = KeyedHasher.fromRandom(random);
    this.table = new Uint16Array(size);
  }

  /** Number of ports in the range (RFC 6056's num_ephemeral). */
  get size(): number {
    return this.high - this.low + 1;
  }

  /**
   * Picks a local port for a connection from `localAddr` to
   * `remoteAddr:remotePort`. `inUse(port)` says whether a port is taken for
   * this destination (the caller's 4-tuple check, or a bind-table check).
   * Every port in the range is tried at most once; returns -1 when all are
   * taken (the caller then fails with EADDRNOTAVAIL, as Linux does).
   */
  select(
    localAddr: IPv4Address | IPv6Address,
    remoteAddr: IPv4Address | IPv6Address,
    remotePort: number,
    inUse: (port: number) => boolean,
  ): number {
    const n = this.size;
    const offset = this.f.reset().address(localAddr).address(remoteAddr).u32(remotePort & 0xffff).digest32();
    const index = this.g.reset().address(localAddr).address(remoteAddr).u32(remotePort & 0xffff).digest32() % this.table.length;
    // (offset + T[index] + i) mod n for i = 0..n-1 visits every port once.
    const start = (offset % n) + this.table[index]!;
    for (let i = 0; i < n; i++) {
      const port = this.low + ((start + i) % n);
      if (!inUse(port)) {
        // RFC 6056: T[index] advances by the number of candidates examined.
        this.table[index] = this.table[index]! + i + 1;
        return port;
      }
    }
    this.table[index] = this.table[index]! + n;
    return -1;
  }
}
