import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../../src/ip/ipv4-header.js';
import type { TcpConnection } from '../../../src/tcp/connection.js';
import { twoStacks } from '../../helpers/stacks.js';

describe('a data segment that also carries SACK blocks', () => {
  it('never outgrows the path MTU: blocks are trimmed to fit a full-sized segment', () => {
    const { clock, a, b, ra, rb } = twoStacks({ latencyUs: 1000 });
    const l = b.tcp.listen({ port: 7 });
    const ca = a.tcp.connect({ remoteAddress: 0xc0000202, remotePort: 7 });
    let cb: TcpConnection | null = null;
    clock.runUntil(() => (cb ??= l.accept()) !== null, { maxUs: 5_000_000 });
    const server = cb!;
    // Lose a's second data segment once, so b holds out-of-order data and owes SACK blocks.
    let seen = 0;
    const send = ra.send.bind(ra);
    ra.send = (f: Uint8Array): void => {
      const ip = parseIpv4(f);
      if (ip.ok && ip.value.payload.length > 32 && ++seen === 2) return;
      send(f);
    };
    ca.write(new Uint8Array(6 * 1448).fill(1));
    clock.advance(1500); // the first segments arrive; the hole is open
    // b now sends a full segment of its own while the hole is open.
    rb.clear();
    server.write(new Uint8Array(4 * 1448).fill(2));
    clock.advance(100);
    // Before the fix these segments were 1512 bytes: refused by IP (DF set), counted, and never sent.
    expect(b.counters.IpFragFails).toBe(0);
    const sent = rb.frames();
    expect(sent.length).toBeGreaterThan(0);
    for (const f of sent) expect(f.length).toBeLessThanOrEqual(1500);
    clock.runUntil(() => server.readableLength === 6 * 1448 && ca.readableLength === 4 * 1448, { maxUs: 10_000_000 });
    expect(server.readableLength).toBe(6 * 1448);
    expect(ca.readableLength).toBe(4 * 1448);
    a.close();
    b.close();
  });
});
