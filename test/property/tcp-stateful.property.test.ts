import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { TcpConnection } from '../../src/tcp/connection.js';
import { impair, Pair, pattern } from '../unit/tcp/helpers/pair.js';

type Side = 0 | 1;
type Action =
  | { kind: 'write'; side: Side; n: number }
  | { kind: 'read'; side: Side; max: number }
  | { kind: 'shutdown'; side: Side }
  | { kind: 'close'; side: Side }
  | { kind: 'wait'; us: number };

const side = fc.constantFrom<Side>(0, 1);
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), side, n: fc.integer({ min: 1, max: 20_000 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), side, max: fc.integer({ min: 1, max: 30_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('shutdown' as const), side }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), side }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('wait' as const), us: fc.integer({ min: 0, max: 300_000 }) }) },
);

interface End {
  conn: TcpConnection;
  written: Uint8Array[];
  writtenLen: number;
  got: Uint8Array[];
  gotLen: number;
  shut: boolean;
  closed: boolean;
  /** close() came before this end had read end of stream (so the peer may be reset). */
  earlyClose: boolean;
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('TCP stateful model (two stacks, lossy link)', () => {
  const stats = { runs: 0, bytes: 0, early: 0 };
  // Guards against a vacuous run: the generated scenarios must move real data and exercise early closes.
  afterAll(() => {
    expect(stats.bytes).toBeGreaterThan(1_000_000);
    expect(stats.early).toBeGreaterThan(0);
  });
  it('delivers bytes in order, never throws unexpectedly, closes cleanly and leaves no timer', () => {
    fc.assert(
      fc.property(
        fc.array(action, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (actions, loss, reorder, seed) => {
          const p = new Pair({ latencyUs: 2000, seed });
          const { client, server } = p.connect();
          p.ipA.filter = impair(seed, { loss, reorder, dup: 1, reorderUs: 5000 });
          p.ipB.filter = impair(seed ^ 0x5555, { loss, reorder, dup: 1, reorderUs: 5000 });
          const end = (conn: End['conn']): End => ({
            conn, written: [], writtenLen: 0, got: [], gotLen: 0, shut: false, closed: false, earlyClose: false,
          });
          const ends: [End, End] = [end(client), end(server)];
          let salt = 1;
          const read = (e: End, max: number): void => {
            if (e.closed) return;
            const d = e.conn.read(max);
            if (d.length > 0) {
              e.got.push(d.slice());
              e.gotLen += d.length;
            }
          };
          for (const a of actions) {
            if (a.kind === 'wait') {
              p.clock.advance(a.us);
              continue;
            }
            const e = ends[a.side];
            const c = e.conn;
            switch (a.kind) {
              case 'write': {
                if (e.shut || e.closed || c.stateName === 'CLOSED' || c.error !== null) break;
                const data = pattern(a.n, salt++);
                let n = 0;
                try {
                  n = c.write(data);
                } catch (err) {
                  // Only after the peer reset us (it closed with data unread).
                  expect((err as { code?: string }).code).toMatch(/EPIPE|ECONNRESET/);
                  expect(ends[a.side === 0 ? 1 : 0].earlyClose).toBe(true);
                }
                if (n > 0) {
                  e.written.push(data.subarray(0, n));
                  e.writtenLen += n;
                }
                break;
              }
              case 'read': read(e, a.max); break;
              case 'shutdown':
                if (!e.shut && !e.closed && c.stateName !== 'CLOSED') {
                  c.shutdown('write');
                  e.shut = true;
                }
                break;
              case 'close':
                if (!e.closed) {
                  read(e, Infinity);
                  e.earlyClose = !c.readEnded;
                  c.close();
                  e.closed = true;
                }
                break;
            }
          }
          // Finish: both shut down their sending side, read to end of stream, then close.
          for (const e of ends) {
            if (!e.shut && !e.closed && e.conn.stateName !== 'CLOSED') e.conn.shutdown('write');
            e.shut = true;
          }
          const done = (): boolean => ends.every((e) => e.closed || e.conn.readEnded || e.conn.stateName === 'CLOSED');
          for (let i = 0; i < 10_000 && !done(); i++) {
            for (const e of ends) read(e, Infinity);
            if (!p.clock.runUntil(() => { for (const e of ends) read(e, Infinity); return done(); }, { maxUs: 10_000_000 })) {
              if (p.clock.pending === 0) break;
            }
          }
          for (const e of ends) read(e, Infinity);
          for (const e of ends) if (!e.closed) e.conn.close();
          p.clock.runUntilIdle({ maxUs: 3_600_000_000 });

          // Every byte read is the next byte written, in order.
          for (const [w, r] of [[ends[0], ends[1]], [ends[1], ends[0]]] as const) {
            const sent = concat(w.written, w.writtenLen);
            const got = concat(r.got, r.gotLen);
            expect(r.gotLen).toBeLessThanOrEqual(w.writtenLen);
            expect(Buffer.from(got).equals(Buffer.from(sent.subarray(0, got.length)))).toBe(true);
            // Complete unless a side closed early (its RST may cut the stream) or the receiver closed first.
            if (!ends[0].earlyClose && !ends[1].earlyClose) expect(r.gotLen).toBe(w.writtenLen);
          }
          if (!ends[0].earlyClose && !ends[1].earlyClose) {
            expect(client.error).toBeNull();
            expect(server.error).toBeNull();
          }
          stats.runs++; stats.bytes += ends[0].gotLen + ends[1].gotLen; if (ends[0].earlyClose || ends[1].earlyClose) stats.early++;
          expect(client.stateName).toBe('CLOSED');
          expect(server.stateName).toBe('CLOSED');
          expect(p.a.connectionCount + p.b.connectionCount).toBe(0);
          expect(p.a.ctx.timers.size).toBe(0);
          expect(p.b.ctx.timers.size).toBe(0);
        },
      ),
      { numRuns: 1000, seed: 0x7c9c0 },
    );
  });
});
