import type { IpAddress } from '../ip/types.js';
import type { TcpConnection } from './connection.js';

/**
 * Segment demultiplexing: connections by 4-tuple in O(1), listeners by local
 * address and port with wildcard fallback (RFC 9293 §3.10.7: the most
 * specific match wins).
 *
 * Keys are numbers, never strings: a 32-bit hash of the remote address
 * mixed with the local port, times 2^16, plus the remote port — exact in a
 * double (< 2^48). Connections whose keys collide are chained through
 * `demuxNext` and told apart by comparing the full 4-tuple.
 */

/** Same address (same family, same value). */
export function addrEqual(a: IpAddress, b: IpAddress): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A 32-bit hash of an address (IPv4: the address itself). */
export function addrHash(a: IpAddress): number {
  if (typeof a === 'number') return a >>> 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < a.length; i += 4) {
    const w = ((a[i]! << 24) | (a[i + 1]! << 16) | (a[i + 2]! << 8) | a[i + 3]!) >>> 0;
    h = Math.imul(h ^ w, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function key(remote: IpAddress, remotePort: number, localPort: number): number {
  const h = (addrHash(remote) ^ Math.imul(localPort, 0x9e3779b1)) >>> 0;
  return h * 65536 + remotePort;
}

/** Connections by 4-tuple. */
export class ConnectionTable {
  private readonly buckets = new Map<number, TcpConnection>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `c` (its 4-tuple must be unique). */
  insert(c: TcpConnection): void {
    const k = key(c.remoteAddress, c.remotePort, c.localPort);
    c.demuxKey = k;
    c.demuxNext = this.buckets.get(k) ?? null;
    this.buckets.set(k, c);
    this.count++;
  }

  /** Removes `c`; a no-op if absent. */
  remove(c: TcpConnection): void {
    const k = c.demuxKey;
    if (k < 0) return;
    let cur: TcpConnection | null = this.buckets.get(k) ?? null;
    let prev: TcpConnection | null = null;
    while (cur !== null) {
      if (cur === c) {
        if (prev === null) {
          if (c.demuxNext === null) this.buckets.delete(k);
          else this.buckets.set(k, c.demuxNext);
        } else prev.demuxNext = c.demuxNext;
        c.demuxNext = null;
        c.demuxKey = -1;
        this.count--;
        return;
      }
      prev = cur;
      cur = cur.demuxNext;
    }
  }

  /** The connection for a 4-tuple, or null. */
  lookup(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): TcpConnection | null {
    let c = this.buckets.get(key(remote, remotePort, localPort)) ?? null;
    while (c !== null) {
      if (c.localPort === localPort && c.remotePort === remotePort && addrEqual(c.remoteAddress, remote) && addrEqual(c.localAddress, local)) return c;
      c = c.demuxNext;
    }
    return null;
  }

  /** Every connection (for introspection; not a hot path). */
  *all(): IterableIterator<TcpConnection> {
    for (const head of this.buckets.values()) {
      for (let c: TcpConnection | null = head; c !== null; c = c.demuxNext) yield c;
    }
  }
}

/** What the listener table needs to know about a listener. */
export interface ListenerKey {
  readonly family: 4 | 6;
  /** Null = wildcard (INADDR_ANY / in6addr_any). */
  readonly localAddress: IpAddress | null;
  readonly localPort: number;
  /** SO_REUSEPORT: may share its address and port with other reuseport listeners. */
  readonly reusePort?: boolean;
}

/** Same reuseport group (Linux inet_reuseport_add_sock): both reuseport, same family, exactly the same address. */
function sameGroup(a: ListenerKey, b: ListenerKey): boolean {
  if (a.reusePort !== true || b.reusePort !== true || a.family !== b.family) return false;
  if (a.localAddress === null || b.localAddress === null) return a.localAddress === b.localAddress;
  return addrEqual(a.localAddress, b.localAddress);
}

/** Listeners by port, most specific address first. */
export class ListenerTable<L extends ListenerKey> {
  private readonly byPort = new Map<number, L[]>();

  add(l: L): void {
    const list = this.byPort.get(l.localPort);
    if (list === undefined) this.byPort.set(l.localPort, [l]);
    else if (l.localAddress === null) list.push(l);
    else list.unshift(l);
  }

  remove(l: L): void {
    const list = this.byPort.get(l.localPort);
    if (list === undefined) return;
    const i = list.indexOf(l);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byPort.delete(l.localPort);
  }

  /**
   * The listener for a segment to `local`:`port` — exact address first, then
   * the wildcard. When that listener belongs to a SO_REUSEPORT group, the
   * member is chosen by `hash` (a 32-bit hash of the 4-tuple) scaled onto the
   * group's size, as Linux's reuseport_select_sock does with
   * reciprocal_scale: one flow always lands on the same member while the
   * group is unchanged.
   */
  lookup(family: 4 | 6, local: IpAddress, port: number, hash = 0): L | null {
    const list = this.byPort.get(port);
    if (list === undefined) return null;
    let wildcard: L | null = null;
    let best: L | null = null;
    for (const l of list) {
      if (l.family !== family) continue;
      if (l.localAddress === null) wildcard ??= l;
      else if (addrEqual(l.localAddress, local)) {
        best = l;
        break;
      }
    }
    best ??= wildcard;
    if (best === null || best.reusePort !== true) return best;
    let n = 0;
    for (const l of list) if (sameGroup(l, best)) n++;
    if (n <= 1) return best;
    let k = Math.floor(((hash >>> 0) * n) / 4294967296);
    for (const l of list) if (sameGroup(l, best) && k-- === 0) return l;
    return best;
  }

  /**
   * True if a listener already holds `port` on `addr` (or either side is a
   * wildcard) — unless both set SO_REUSEPORT (Linux inet_csk_bind_conflict).
   */
  conflicts(family: 4 | 6, addr: IpAddress | null, port: number, reusePort = false): boolean {
    const list = this.byPort.get(port);
    if (list === undefined) return false;
    return list.some((l) => l.family === family && !(reusePort && l.reusePort === true) &&
      (l.localAddress === null || addr === null || addrEqual(l.localAddress, addr)));
  }

  /** True if any listener uses `port`. */
  hasPort(port: number): boolean {
    return this.byPort.has(port);
  }

  *all(): IterableIterator<L> {
    for (const list of this.byPort.values()) yield* list;
  }
}
