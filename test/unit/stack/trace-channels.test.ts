import diagnostics_channel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/core/clock.js';
import { CHANNELS } from '../../../src/core/trace.js';
import { buildIpv4 } from '../../../src/ip/ipv4-header.js';
import { createMemoryPair } from '../../../src/link/memory-link.js';
import { Stack } from '../../../src/stack.js';

type Msg = Record<string, unknown>;
const subscriptions: [string, (m: unknown) => void][] = [];
afterEach(() => {
  for (const [name, fn] of subscriptions.splice(0)) diagnostics_channel.unsubscribe(name, fn);
});

function listen(name: string): Msg[] {
  const got: Msg[] = [];
  const fn = (m: unknown): void => void got.push(m as Msg);
  diagnostics_channel.subscribe(name, fn);
  subscriptions.push([name, fn]);
  return got;
}

describe('node:diagnostics_channel tracing', () => {
  it('publishes link, drop, TCP state and retransmit events with the documented shapes and the stack id', () => {
    const rx = listen(CHANNELS.linkRx);
    const tx = listen(CHANNELS.linkTx);
    const drops = listen(CHANNELS.drop);
    const states = listen(CHANNELS.tcpState);
    const retrans = listen(CHANNELS.tcpRetransmit);

    const clock = new VirtualClock();
    const [la, lb] = createMemoryPair(clock, { latencyUs: 1000 });
    const a = new Stack({ clock, seed: 1, id: 'trace-a' });
    const b = new Stack({ clock, seed: 2, id: 'trace-b' });
    a.addInterface(la, { ipv4: ['192.0.2.1/24'] });
    const ib = b.addInterface(lb, { ipv4: ['192.0.2.2/24'] });

    const l = b.tcp.listen({ port: 80 });
    const c = a.tcp.connect({ remoteAddress: 0xc0000202, remotePort: 80 });
    let accepted: ReturnType<typeof l.accept> = null;
    clock.runUntil(() => (accepted ??= l.accept()) !== null, { maxUs: 5_000_000 });
    const server = accepted!;
    // Drop every frame from a for a while, so its data is retransmitted on RTO.
    const realSend = la.send.bind(la);
    let dropping = true;
    la.send = (f: Uint8Array): void => {
      if (!dropping) realSend(f);
    };
    c.write(new Uint8Array(1000));
    clock.advance(300_000);
    dropping = false;
    clock.runUntil(() => server.readableLength === 1000, { maxUs: 10_000_000 });
    c.close();
    server.close();
    clock.runUntil(() => c.stateName === 'TIME-WAIT' || c.stateName === 'CLOSED', { maxUs: 10_000_000 });
    // A malformed packet is dropped with its reason.
    b.ip.receiveFrame(ib, buildIpv4({ src: 0xc0000201, dst: 0xc0000202, protocol: 6, checksum: 1 }, new Uint8Array(20)));

    const keys = (m: Msg): string[] => Object.keys(m).sort();
    expect(rx.length).toBeGreaterThan(0);
    expect(keys(rx[0]!)).toEqual(['frame', 'link', 'stack', 'time']);
    expect(rx[0]!.frame).toBeInstanceOf(Uint8Array);
    expect(keys(tx[0]!)).toEqual(['frame', 'link', 'stack', 'time']);
    expect(new Set(tx.map((m) => m.stack))).toEqual(new Set(['trace-a', 'trace-b']));

    expect(states.map((m) => `${m.stack} ${m.from}->${m.to}`)).toEqual(
      expect.arrayContaining(['trace-a CLOSED->SYN-SENT', 'trace-a SYN-SENT->ESTABLISHED', 'trace-a ESTABLISHED->FIN-WAIT-1']),
    );
    expect(keys(states[0]!)).toEqual(['connection', 'from', 'stack', 'time', 'to']);
    expect(states[0]!.connection).toMatch(/^192\.0\.2\.1:\d+-192\.0\.2\.2:80$/);

    expect(retrans.length).toBeGreaterThanOrEqual(1);
    expect(keys(retrans[0]!)).toEqual(['connection', 'kind', 'length', 'seq', 'stack', 'time']);
    expect(retrans[0]).toMatchObject({ stack: 'trace-a', length: 1000 });
    // A tail-loss probe may come first; the retransmission timer fired before the link came back.
    expect(retrans.map((m) => m.kind)).toContain('rto');

    const bad = drops.find((m) => m.stack === 'trace-b' && m.reason === 'ipv4-bad-checksum');
    expect(bad).toBeDefined();
    expect(keys(bad!)).toEqual(['layer', 'packet', 'reason', 'stack', 'time']);
    expect(bad!.layer).toBe('ipv4');
    a.close();
    b.close();
  });

  it('costs nothing when nobody listens: no message objects are built', () => {
    const clock = new VirtualClock();
    const [la] = createMemoryPair(clock);
    const a = new Stack({ clock, seed: 1 });
    a.addInterface(la, { ipv4: ['192.0.2.1/24'] });
    expect(diagnostics_channel.channel(CHANNELS.linkTx).hasSubscribers).toBe(false);
    expect(a.ctx.trace.tcpStateWanted).toBe(false);
    expect(a.ctx.trace.tcpRetransmitWanted).toBe(false);
  });
});
