import { describe, expect, it } from 'vitest';
import { ACK, PSH } from '../../../src/tcp/header.js';
import { drain } from './helpers/drain.js';
import { Testbed } from './helpers/testbed.js';

/**
 * Where PSH goes on data (tso-burst.ts). What Linux 6.18 sends over a TUN
 * device, seen with a scripted peer: new data leaves in bursts (GSO
 * packets) of at most min(cwnd/2, free cwnd, ~1 ms at the pacing rate, but
 * at least 2) segments; a burst of several segments ends with PSH, and so
 * does one that carries the end of a write not sent with MSG_MORE. A lone
 * segment from the middle of a write has none. Retransmissions go out per
 * original burst, with the same rule.
 */
describe('PSH placement (Linux)', () => {
  it('ends each multi-segment burst with PSH; a limited-transmit segment has none', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(15_000));
    const flight = drain(t);
    expect(flight.map(([s, l]) => [s, l])).toEqual(Array.from({ length: 10 }, (_, i) => [1 + 1000 * i, 1000]));
    // RTT 100 ms: bursts of tcp_min_tso_segs = 2 segments.
    expect(flight.map(([, , f]) => f)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 === 1 ? ACK | PSH : ACK)));
    t.advance(110_000);
    t.in('.', 1, 0, { ack: 1, win: 257 });
    // RFC 3042: one new segment per duplicate ACK; it ends no write, so no PSH.
    expect(drain(t)).toEqual([[10_001, 1000, ACK]]);
    t.advance(10_000);
    t.in('.', 1, 0, { ack: 1, win: 257 });
    expect(drain(t)).toEqual([[11_001, 1000, ACK]]);
  });

  it('sets PSH on the burst that carries the end of a write (https_client.pkt)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(2500));
    expect(drain(t)).toEqual([[1, 1000, ACK], [1001, 1000, ACK | PSH], [2001, 500, ACK | PSH]]);
  });

  it('MSG_MORE: no PSH for the end of the write, and the partial tail waits for this call only', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 100_000);
    c.setOptions({ noDelay: true });
    c.write(new Uint8Array(3100), true);
    // A two-segment burst still ends with PSH; the lone third segment does not; 100 bytes wait.
    expect(drain(t)).toEqual([[1, 1000, ACK], [1001, 1000, ACK | PSH], [2001, 1000, ACK]]);
    // The next ACK sends with the socket's own setting (TCP_NODELAY): the tail goes, unpushed.
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 1001, win: 257 });
    expect(drain(t)).toEqual([[3001, 100, ACK]]);
    // A later write without MSG_MORE is pushed.
    c.write(new Uint8Array(10));
    expect(drain(t)).toEqual([[3101, 10, ACK | PSH]]);
  });

  it('a push mark follows data appended to the unsent tail, even with MSG_MORE', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 100_000);
    c.setOptions({ cork: true });
    c.write(new Uint8Array(100));
    c.write(new Uint8Array(50), true);
    expect(drain(t)).toEqual([]);
    c.setOptions({ cork: false });
    // Linux appended the 50 bytes to the PSH-marked tail skb: PSH moves to its new end.
    expect(drain(t)).toEqual([[1, 150, ACK | PSH]]);
  });

  it('retransmits per original burst: a run of several segments ends with PSH, a lone front segment has none', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(6000));
    expect(drain(t).map(([, , f]) => f)).toEqual([ACK, ACK | PSH, ACK, ACK | PSH, ACK, ACK | PSH]);
    // Three segments SACKed: RACK marks 1:3001 lost at once (no reordering seen yet).
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 3001:6001,nop,nop' });
    // The burst [1,2001) goes again whole (PSH on its end); 2001:3001 is the
    // front of the burst [2001,4001), alone (sack-route-refresh-ip-tos.pkt).
    expect(drain(t)).toEqual([[1, 1000, ACK], [1001, 1000, ACK | PSH], [2001, 1000, ACK]]);
  });

  it("'bsd' policy: PSH only on the segment that empties the send buffer (FreeBSD tcp_output)", () => {
    const t = new Testbed({ pushPolicy: 'bsd' });
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(4000));
    expect(drain(t)).toEqual([[1, 1000, ACK], [1001, 1000, ACK], [2001, 1000, ACK], [3001, 1000, ACK | PSH]]);
  });
});
