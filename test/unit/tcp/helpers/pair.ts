import { createHash } from 'node:crypto';
import { VirtualClock } from '../../../../src/core/clock.js';
import type { TcpConfig } from '../../../../src/tcp/config.js';
import type { TcpConnection } from '../../../../src/tcp/connection.js';
import { TcpLayer } from '../../../../src/tcp/tcp-layer.js';
import { FakeIp, testContext } from './fake-ip.js';
import { LOCAL, REMOTE } from './testbed.js';
import { parseIPv6 } from '../../../../src/core/address.js';
import type { IpAddress } from '../../../../src/ip/types.js';

const V6_A = parseIPv6('2001:db8::1')!;
const V6_B = parseIPv6('2001:db8::2')!;

/** Two TCP layers joined by FakeIps on one virtual clock. A = 192.0.2.1, B = 192.0.2.2. */
export class Pair {
  readonly clock = new VirtualClock(0);
  readonly ipA: FakeIp;
  readonly ipB: FakeIp;
  readonly a: TcpLayer;
  readonly b: TcpLayer;

  readonly addrB: IpAddress;

  constructor(opts: { latencyUs?: number; mtu?: number; config?: Partial<TcpConfig>; seed?: number; v6?: boolean } = {}) {
    const seed = opts.seed ?? 7;
    this.addrB = opts.v6 ? V6_B : LOCAL;
    this.ipA = new FakeIp(this.clock, opts.v6 ? V6_A : REMOTE, opts.mtu ?? 1500);
    this.ipB = new FakeIp(this.clock, this.addrB, opts.mtu ?? 1500);
    this.ipA.peer = this.ipB;
    this.ipB.peer = this.ipA;
    this.ipA.latencyUs = this.ipB.latencyUs = opts.latencyUs ?? 1000;
    this.ipA.record = this.ipB.record = false;
    this.a = new TcpLayer(testContext(this.clock, 'A', seed), this.ipA, opts.config);
    this.b = new TcpLayer(testContext(this.clock, 'B', seed + 1), this.ipB, opts.config);
  }

  /** Opens A → B:port and returns both ends once established. */
  connect(port = 5000): { client: TcpConnection; server: TcpConnection } {
    const l = this.b.listen({ port, backlog: 16, family: typeof this.addrB === 'number' ? 4 : 6 });
    const client = this.a.connect({ remoteAddress: this.addrB, remotePort: port });
    let server: TcpConnection | null = null;
    this.clock.runUntil(() => (server ??= l.accept()) !== null && client.stateName === 'ESTABLISHED', { maxUs: 600_000_000 });
    if (server === null) throw new Error('no connection');
    l.close();
    return { client, server };
  }
}

/** Deterministic pseudo-random payload. */
export function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export function sha256(parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/**
 * Pumps `data` from `src` to `dst` (writing in chunks as buffer space allows,
 * reading everything), then half-closes. Returns the received chunks once
 * `dst` saw end of stream, or throws after `maxUs` of virtual time.
 */
export function transfer(clock: VirtualClock, src: TcpConnection, dst: TcpConnection, data: Uint8Array, maxUs: number): Uint8Array[] {
  const got: Uint8Array[] = [];
  let off = 0;
  const pump = (): void => {
    while (off < data.length) {
      const n = src.write(data.subarray(off, Math.min(data.length, off + 65536)));
      if (n === 0) break;
      off += n;
    }
    if (off === data.length && (src.stateName === 'ESTABLISHED' || src.stateName === 'CLOSE-WAIT')) src.shutdown('write');
  };
  const drain = (): void => {
    for (;;) {
      const d = dst.read();
      if (d.length === 0) break;
      got.push(d);
    }
  };
  src.setHandler({ onWritable: pump });
  dst.setHandler({ onReadable: drain });
  pump();
  const ok = clock.runUntil(() => dst.readEnded || dst.stateName === 'CLOSED', { maxUs, maxEvents: 50_000_000 });
  drain();
  if (!ok || !dst.readEnded) throw new Error(`transfer did not finish: sent ${off}, received ${got.reduce((n, g) => n + g.length, 0)}, src ${src.stateName}, dst ${dst.stateName}`);
  return got;
}

/** A seeded impairment: loss, duplication, reordering (extra delay) and single-bit corruption, in percent. */
export function impair(seed: number, o: { loss: number; dup?: number; reorder?: number; corrupt?: number; reorderUs?: number }): (b: Uint8Array) => number[] {
  let x = seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
  return (b) => {
    if (rnd() * 100 < o.loss) return [];
    if (o.corrupt && rnd() * 100 < o.corrupt) {
      const bit = Math.floor(rnd() * b.length * 8);
      b[bit >>> 3]! ^= 1 << (bit & 7);
    }
    const d = o.reorder && rnd() * 100 < o.reorder ? Math.floor(rnd() * (o.reorderUs ?? 3000)) : 0;
    if (o.dup && rnd() * 100 < o.dup) return [d, d + 100];
    return [d];
  };
}
