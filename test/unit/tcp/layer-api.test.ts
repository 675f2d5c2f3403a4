import { describe, expect, it } from 'vitest';
import { sizeGoal } from '../../../src/tcp/write-space.js';
import { Pair } from './helpers/pair.js';
import { LOCAL } from './helpers/testbed.js';
import { ListenerTable } from '../../../src/tcp/demux.js';

describe('TcpLayer.listen with port 0 (autobind)', () => {
  it('picks a port of the ephemeral range that no listener or connection holds, and accepts on it', () => {
    const p = new Pair({ latencyUs: 10, config: { localPortRange: [40000, 40003] } });
    const busy = p.b.listen({ port: 40000 });
    const c0 = p.b.connect({ remoteAddress: p.ipA.address, remotePort: 9, localPort: 40001 });
    const seen = new Set<number>();
    const ls = [p.b.listen({ port: 0 }), p.b.listen({ port: 0 })];
    for (const l of ls) {
      expect(l.localPort).toBeGreaterThanOrEqual(40002);
      expect(l.localPort).toBeLessThanOrEqual(40003);
      seen.add(l.localPort);
    }
    expect(seen.size).toBe(2);
    // Every port of the range is taken now.
    expect(() => p.b.listen({ port: 0 })).toThrow(/EADDRINUSE/);
    // A second family may share the autobound port: the pick left it free of every listener.
    const v6 = p.b.listen({ port: ls[0]!.localPort, family: 6 });
    expect(v6.localPort).toBe(ls[0]!.localPort);
    const client = p.a.connect({ remoteAddress: LOCAL, remotePort: ls[1]!.localPort });
    p.clock.runUntilIdle({ maxUs: 1_000_000 });
    expect(client.stateName).toBe('ESTABLISHED');
    expect(ls[1]!.pending).toBe(1);
    busy.close();
    c0.abort();
  });

  it('rejects ports outside 0..65535', () => {
    const p = new Pair();
    expect(() => p.b.listen({ port: -1 })).toThrow(/EINVAL/);
    expect(() => p.b.listen({ port: 65536 })).toThrow(/EINVAL/);
  });
});

describe('TcpConnection.requestWritable', () => {
  it('fires onWritable once an ACK frees half the send buffer, without a short write', () => {
    const p = new Pair({ latencyUs: 100, config: { wmem: [4096, 8192, 8192] } });
    const { client, server } = p.connect();
    let writable = 0;
    client.setHandler({ onWritable: () => writable++ });
    expect(client.write(new Uint8Array(6000))).toBe(6000);
    // 6000 bytes + one skb's overhead are under SO_SNDBUF: one more skb may start (write-space.ts).
    expect(client.writableLength).toBe(sizeGoal(client));
    p.clock.runUntilIdle({ maxUs: 1_000_000 });
    // Everything was acknowledged, but nobody asked: no notification.
    expect(writable).toBe(0);
    expect(client.write(new Uint8Array(6000))).toBe(6000);
    client.requestWritable();
    p.clock.runUntilIdle({ maxUs: 1_000_000 });
    expect(writable).toBe(1);
    expect(server.read().length).toBe(12000);
  });
});

describe('TcpLayer.shutdown', () => {
  it('aborts connections with ECONNABORTED for their handlers and resets the peer', () => {
    const p = new Pair({ latencyUs: 100 });
    const { client, server } = p.connect();
    const opening = p.a.connect({ remoteAddress: LOCAL, remotePort: 5999 });
    const closed: Array<string | null> = [];
    client.setHandler({ onClosed: (_c, e) => closed.push(e) });
    opening.setHandler({ onClosed: (_c, e) => closed.push(e) });
    let serverErr: string | null | undefined;
    server.setHandler({ onClosed: (_c, e) => (serverErr = e) });
    p.a.shutdown();
    expect(closed.sort()).toEqual(['ECONNABORTED', 'ECONNABORTED']);
    expect(client.stateName).toBe('CLOSED');
    expect(p.a.connectionCount).toBe(0);
    p.clock.runUntilIdle({ maxUs: 1_000_000 });
    expect(serverErr).toBe('ECONNRESET');
  });

  it('leaves an application abort clean (no error)', () => {
    const p = new Pair({ latencyUs: 100 });
    const { client } = p.connect();
    let err: string | null | undefined;
    client.setHandler({ onClosed: (_c, e) => (err = e) });
    client.abort();
    expect(err).toBeNull();
  });
});

describe('ListenerTable with SO_REUSEPORT groups', () => {
  it('scales the flow hash onto the group of the best-matching address', () => {
    const t = new ListenerTable<{ family: 4 | 6; localAddress: number | null; localPort: number; reusePort: boolean; name: string }>();
    const any1 = { family: 4 as const, localAddress: null, localPort: 80, reusePort: true, name: 'any1' };
    const any2 = { family: 4 as const, localAddress: null, localPort: 80, reusePort: true, name: 'any2' };
    const ex1 = { family: 4 as const, localAddress: 0x0a000001, localPort: 80, reusePort: true, name: 'ex1' };
    const ex2 = { family: 4 as const, localAddress: 0x0a000001, localPort: 80, reusePort: true, name: 'ex2' };
    const ex3 = { family: 4 as const, localAddress: 0x0a000001, localPort: 80, reusePort: true, name: 'ex3' };
    for (const l of [any1, any2, ex1, ex2, ex3]) t.add(l);
    // Exact-address members, newest first in the table: [ex3, ex2, ex1]; floor(hash * 3 / 2^32) picks.
    expect(t.lookup(4, 0x0a000001, 80, 0)?.name).toBe('ex3');
    expect(t.lookup(4, 0x0a000001, 80, 0x55555556)?.name).toBe('ex2');
    expect(t.lookup(4, 0x0a000001, 80, 0xffffffff)?.name).toBe('ex1');
    // Another local address falls to the wildcard group.
    expect(t.lookup(4, 0x0a000002, 80, 0)?.name).toBe('any1');
    expect(t.lookup(4, 0x0a000002, 80, 0x80000000)?.name).toBe('any2');
    expect(t.conflicts(4, null, 80, true)).toBe(false);
    expect(t.conflicts(4, null, 80, false)).toBe(true);
  });
});
