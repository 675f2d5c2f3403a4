import { describe, expect, it } from 'vitest';
import type { LingerResult } from '../../../src/tcp/connection.js';
import { Testbed } from './helpers/testbed.js';

/** An established connection with 1000 bytes sent and not yet acknowledged. */
function withUnackedData(t: Testbed, lingerS: number) {
  const { c } = t.passiveOpen('mss 1460,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 10_000);
  c.setOptions({ lingerOn: true, lingerS });
  c.write(new Uint8Array(1000));
  t.out('P.', 1, 1000, { ack: 1 });
  return c;
}

describe('SO_LINGER with a linger time (Linux tcp_close → sk_stream_wait_close)', () => {
  it('the lingering close completes when our FIN is acknowledged', () => {
    const t = new Testbed();
    const c = withUnackedData(t, 5);
    const results: LingerResult[] = [];
    c.closeLingering((r) => results.push(r));
    t.out('F.', 1001, 0, { ack: 1 });
    expect(c.stateName).toBe('FIN-WAIT-1');
    expect(results).toEqual([]);
    t.advance(10_000);
    t.in('.', 1, 0, { ack: 1001, win: 257 });
    expect(results).toEqual([]);
    t.in('.', 1, 0, { ack: 1002, win: 257 });
    expect(c.stateName).toBe('FIN-WAIT-2');
    expect(results).toEqual(['closed']);
    expect(t.ctx.timers.size).toBeGreaterThan(0); // FIN-WAIT-2 timer of the orphan, not the linger timer
  });

  it('when the linger time runs out first, close returns and the orphan carries on: no RST (as Linux)', () => {
    const t = new Testbed();
    const c = withUnackedData(t, 1);
    const results: LingerResult[] = [];
    c.closeLingering((r) => results.push(r));
    t.out('F.', 1001, 0, { ack: 1 });
    // The peer is silent: RTO retransmissions go on; the wait ends at 1 s exactly.
    t.advance(999_999);
    expect(results).toEqual([]);
    const sentBefore = t.ip.sent.length;
    t.advance(1);
    expect(results).toEqual(['timeout']);
    expect(t.ip.sent.length).toBe(sentBefore);
    expect(c.stateName).toBe('FIN-WAIT-1');
    expect(t.counters.TcpOutRsts).toBe(0);
    // Still a normal orphan: an ACK of everything completes the close later.
    while (t.pending().length > 0) t.next();
    t.in('.', 1, 0, { ack: 1002, win: 257 });
    expect(c.stateName).toBe('FIN-WAIT-2');
    expect(results).toEqual(['timeout']);
  });

  it('a reset during the wait ends it as closed', () => {
    const t = new Testbed();
    const c = withUnackedData(t, 5);
    const results: LingerResult[] = [];
    c.closeLingering((r) => results.push(r));
    t.out('F.', 1001, 0, { ack: 1 });
    t.in('R', 1, 0, { win: 0 });
    expect(c.stateName).toBe('CLOSED');
    expect(results).toEqual(['closed']);
  });

  it('linger on with 0 s is abortive: RST at once, and the wait ends at once', () => {
    const t = new Testbed();
    const c = withUnackedData(t, 0);
    const results: LingerResult[] = [];
    c.closeLingering((r) => results.push(r));
    t.out('R.', 1001, 0, { ack: 1 });
    expect(c.stateName).toBe('CLOSED');
    expect(results).toEqual(['closed']);
    expect(t.counters.TcpExtTCPAbortOnLinger).toBe(1);
  });

  it('without SO_LINGER the close does not wait', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    c.write(new Uint8Array(100));
    t.next();
    const results: LingerResult[] = [];
    c.closeLingering((r) => results.push(r));
    t.out('F.', 101, 0, { ack: 1 });
    expect(c.stateName).toBe('FIN-WAIT-1');
    expect(results).toEqual(['closed']);
  });

  it('runs the callback even after the handler was removed (a socket facade closing its fd)', () => {
    const t = new Testbed();
    const c = withUnackedData(t, 5);
    let closedEvents = 0;
    c.setHandler({ onClosed: () => void closedEvents++ });
    c.setHandler(null);
    const results: LingerResult[] = [];
    c.closeLingering((r) => results.push(r));
    t.in('.', 1, 0, { ack: 1002, win: 257 });
    expect(results).toEqual(['closed']);
    expect(closedEvents).toBe(0);
  });
});
