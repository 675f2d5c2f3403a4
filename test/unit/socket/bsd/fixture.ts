import { parseIPv4 } from '../../../../src/core/address.js';
import { VirtualClock } from '../../../../src/core/clock.js';
import { SeededRandom } from '../../../../src/core/random.js';
import { FaultInjector, type FaultConfig } from '../../../../src/link/fault-injector.js';
import type { Link } from '../../../../src/link/link.js';
import { createMemoryPair } from '../../../../src/link/memory-link.js';
import { createBsdSockets, type BsdSockets, type BsdSocketsOptions } from '../../../../src/socket/bsd/index.js';
import { Stack } from '../../../../src/stack.js';
import type { TcpConfig } from '../../../../src/tcp/config.js';
import { AF_INET } from '../../../../src/socket/bsd/constants.js';
import type { SockAddr } from '../../../../src/socket/bsd/types.js';

export const A_TEXT = '192.0.2.1';
export const B_TEXT = '192.0.2.2';
export const A = parseIPv4(A_TEXT)!;
export const B = parseIPv4(B_TEXT)!;

/** An AF_INET socket address. */
export function inet(address: string, port: number): SockAddr {
  return { family: AF_INET, address, port };
}

export interface Pair {
  clock: VirtualClock;
  a: Stack;
  b: Stack;
  /** Sockets of stack a (192.0.2.1) and stack b (192.0.2.2). */
  sa: BsdSockets;
  sb: BsdSockets;
}

export interface PairOptions {
  seed?: number;
  latencyUs?: number;
  tcp?: Partial<TcpConfig>;
  /** Faults on what a sends (b receives). */
  faultsAtoB?: Partial<FaultConfig>;
  /** Faults on what b sends. */
  faultsBtoA?: Partial<FaultConfig>;
  socketsA?: BsdSocketsOptions;
  socketsB?: BsdSocketsOptions;
}

/** Two stacks on an in-memory wire (100 µs each way), a facade on each. */
export function pair(o: PairOptions = {}): Pair {
  const seed = o.seed ?? 1;
  const clock = new VirtualClock();
  const [la, lb] = createMemoryPair(clock, { latencyUs: o.latencyUs ?? 100 });
  const wrap = (l: Link, f: Partial<FaultConfig> | undefined, s: number): Link =>
    f === undefined ? l : new FaultInjector(l, { clock, random: new SeededRandom(s), tx: f, rx: {} });
  const a = new Stack({ clock, seed: seed + 10, id: 'a', ...(o.tcp ? { tcp: o.tcp } : {}) });
  const b = new Stack({ clock, seed: seed + 20, id: 'b', ...(o.tcp ? { tcp: o.tcp } : {}) });
  a.addInterface(wrap(la, o.faultsAtoB, seed + 30), { ipv4: ['192.0.2.1/24'] });
  b.addInterface(wrap(lb, o.faultsBtoA, seed + 40), { ipv4: ['192.0.2.2/24'] });
  return { clock, a, b, sa: createBsdSockets(a, o.socketsA), sb: createBsdSockets(b, o.socketsB) };
}

/** Lets pending Promise continuations run (microtasks, then one macrotask turn). */
export function flush(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/**
 * Runs the virtual clock event by event, letting Promise continuations run
 * between events, until `p` settles (or throws if the clock runs dry or
 * `maxUs` passes first). Returns what `p` returns.
 */
export async function drive<T>(clock: VirtualClock, p: Promise<T>, maxUs = 600_000_000): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  const end = clock.now() + maxUs;
  for (;;) {
    // Promise continuations are microtasks: let chains of them run before time moves.
    for (let i = 0; i < 64 && !settled; i++) await Promise.resolve();
    if (settled) return p;
    let next = clock.nextEventAt();
    if (next === undefined) {
      await flush();
      if (settled) return p;
      next = clock.nextEventAt();
    }
    if (next === undefined) throw new Error(`drive: nothing left to run at ${clock.now()} µs and the Promise is pending`);
    if (next > end) throw new Error(`drive: still pending after ${maxUs} µs`);
    clock.advanceTo(next);
  }
}

/** Runs the clock (without awaiting anything) for `us` µs. */
export function run(clock: VirtualClock, us: number): void {
  clock.advance(us);
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
