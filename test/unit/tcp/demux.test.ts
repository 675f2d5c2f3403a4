import { describe, expect, it } from 'vitest';
import { addrEqual, addrHash, ListenerTable } from '../../../src/tcp/demux.js';
import { Pair } from './helpers/pair.js';
import { LOCAL } from './helpers/testbed.js';

describe('demux', () => {
  it('prefers the listener bound to the exact address, then the wildcard; conflicts are detected', () => {
    const t = new ListenerTable<{ family: 4 | 6; localAddress: number | null; localPort: number; name: string }>();
    const any = { family: 4 as const, localAddress: null, localPort: 80, name: 'any' };
    const exact = { family: 4 as const, localAddress: 0x0a000001, localPort: 80, name: 'exact' };
    t.add(any);
    t.add(exact);
    expect(t.lookup(4, 0x0a000001, 80)?.name).toBe('exact');
    expect(t.lookup(4, 0x0a000002, 80)?.name).toBe('any');
    expect(t.lookup(6, 0x0a000002, 80)).toBeNull();
    expect(t.lookup(4, 0x0a000001, 81)).toBeNull();
    expect(t.conflicts(4, 0x0a000003, 80)).toBe(true);
    t.remove(any);
    expect(t.lookup(4, 0x0a000002, 80)).toBeNull();
    expect(t.conflicts(4, 0x0a000003, 80)).toBe(false);
  });

  it('hashes and compares addresses of both families', () => {
    const a = new Uint8Array(16).fill(1);
    const b = a.slice();
    expect(addrEqual(a, b)).toBe(true);
    b[15] = 2;
    expect(addrEqual(a, b)).toBe(false);
    expect(addrHash(a)).not.toBe(addrHash(b));
    expect(addrEqual(5, 5)).toBe(true);
    expect(addrEqual(5, a)).toBe(false);
  });

  it('finds each of many connections by 4-tuple, including ones sharing a remote port', () => {
    const p = new Pair({ latencyUs: 10 });
    const l = p.b.listen({ port: 7000, backlog: 512 });
    const l2 = p.b.listen({ port: 7001, backlog: 512 });
    const clients = [];
    for (let i = 0; i < 200; i++) clients.push(p.a.connect({ remoteAddress: LOCAL, remotePort: 7000 }));
    // Same client port towards two server ports: keys differ only by the local port.
    clients.push(p.a.connect({ remoteAddress: LOCAL, remotePort: 7001, localPort: clients[0]!.localPort }));
    p.clock.runUntilIdle({ maxUs: 1_000_000 });
    expect(l.pending + l2.pending).toBe(201);
    expect(p.b.connectionCount).toBe(201);
    expect(() => p.b.listen({ port: 7000 })).toThrow(/EADDRINUSE/);
  });
});
