import { describe, expect, it } from 'vitest';
import { Testbed } from './helpers/testbed.js';

// Scenarios from the packetdrill corpus (tcp/close, tcp/shutdown), asserted
// segment by segment on the virtual clock.
describe('close and shutdown (packetdrill close/, shutdown/)', () => {
  it('remote FIN then close: LAST-ACK, then RST for a stray segment (close-remote-fin-then-close)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen();
    expect(c.stateName).toBe('ESTABLISHED');
    t.advance(10_000);
    t.in('F.', 1, 0, { ack: 1, win: 257 });
    t.out('.', 1, 0, { ack: 2 });
    expect(c.stateName).toBe('CLOSE-WAIT');
    expect(c.read().length).toBe(0);
    expect(c.readEnded).toBe(true);
    t.advance(10_000);
    c.close();
    t.out('F.', 1, 0, { ack: 2 });
    expect(c.stateName).toBe('LAST-ACK');
    t.advance(10_000);
    t.in('.', 2, 0, { ack: 2, win: 257 });
    expect(c.stateName).toBe('CLOSED');
    t.none();
    t.advance(10_000);
    t.in('.', 2, 0, { ack: 2, win: 257 });
    t.out('R', 2, 0);
    expect(t.tcp.connectionCount).toBe(0);
  });

  it('local close then remote FIN: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT for 60 s (close-local-close-then-remote-fin)', () => {
    const t = new Testbed();
    const c = t.tcp.connect({ remoteAddress: 0xc0000201, remotePort: 40000, localPort: 8080 });
    t.out('S', 0, 0, { opts: 'mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8' });
    t.in('S.', 0, 0, { ack: 1, win: 32768, opts: 'mss 1000,nop,wscale 6,nop,nop,sackOK' });
    t.out('.', 1, 0, { ack: 1 });
    expect(c.stateName).toBe('ESTABLISHED');
    expect(c.write(new Uint8Array(1000))).toBe(1000);
    t.out('P.', 1, 1000, { ack: 1 });
    t.in('.', 1, 0, { ack: 1001, win: 257 });
    c.close();
    t.out('F.', 1001, 0, { ack: 1 });
    expect(c.stateName).toBe('FIN-WAIT-1');
    t.in('.', 1, 0, { ack: 1002, win: 257 });
    expect(c.stateName).toBe('FIN-WAIT-2');
    t.in('F.', 1, 0, { ack: 1002, win: 257 });
    t.out('.', 1002, 0, { ack: 2 });
    expect(c.stateName).toBe('TIME-WAIT');
    t.quietFor(59_999_000);
    expect(t.tcp.connectionCount).toBe(1);
    t.advance(1000);
    expect(t.tcp.connectionCount).toBe(0);
    expect(t.ctx.timers.size).toBe(0);
  });
});
