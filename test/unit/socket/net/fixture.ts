/**
 * Two stacks back to back on the in-memory link, each with its `net` API.
 * Real clock: Node's http, tls, undici and ws run on the real event loop, so
 * the stacks must too; the wire adds a tiny latency.
 */
import { createHash } from 'node:crypto';
import { RealClock } from '../../../../src/core/clock.js';
import { createMemoryPair } from '../../../../src/link/memory-link.js';
import { createNetApi, type NetApi } from '../../../../src/socket/net/index.js';
import { Stack } from '../../../../src/stack.js';
import type { TcpConfig } from '../../../../src/tcp/config.js';

export const CLIENT_IP = '192.0.2.1';
export const SERVER_IP = '192.0.2.2';

export interface NetPair {
  a: Stack;
  b: Stack;
  /** `net` of the client stack (192.0.2.1). */
  client: NetApi;
  /** `net` of the server stack (192.0.2.2). */
  server: NetApi;
  close(): void;
}

export function netPair(options: { tcp?: Partial<TcpConfig>; latencyUs?: number } = {}): NetPair {
  const clock = new RealClock();
  const [la, lb] = createMemoryPair(clock, { latencyUs: options.latencyUs ?? 100 });
  const a = new Stack({ clock, seed: 11, id: 'client', ...(options.tcp ? { tcp: options.tcp } : {}) });
  const b = new Stack({ clock, seed: 22, id: 'server', ...(options.tcp ? { tcp: options.tcp } : {}) });
  a.addInterface(la, { ipv4: [`${CLIENT_IP}/24`] });
  b.addInterface(lb, { ipv4: [`${SERVER_IP}/24`] });
  return {
    a, b, client: createNetApi(a), server: createNetApi(b),
    close() {
      // Tests that leave sockets open end them as an application abort would
      // (no error) before the stacks go: closing a stack under a live socket
      // errors it with ECONNABORTED (net-stack-close.test.ts), which a test
      // without an 'error' listener would report as unhandled.
      for (const stack of [a, b]) for (const c of stack.tcp.connectionList()) c.abort();
      a.close();
      b.close();
    },
  };
}

/** Deterministic bytes: byte i is (i·31 + seed) mod 251 (a prime, so no short period aligns with chunk sizes). */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) % 251;
  return b;
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Resolves when `cond()` holds, checking after each turn of the event loop; rejects after `maxMs`. */
export async function until(cond: () => boolean, what: string, maxMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > maxMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Resolves with the arguments of the next `event` on `emitter`. */
export function once<T extends unknown[] = unknown[]>(emitter: NodeJS.EventEmitter, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T)));
}

/**
 * Collects a readable stream into one Buffer with 'data'/'end' (an async
 * iterator would destroy the stream at the end, which the tests must not).
 */
export function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (chunk: Buffer | string) => parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    stream.once('end', () => resolve(Buffer.concat(parts)));
    stream.once('error', reject);
  });
}
