import { describe, expect, it } from 'vitest';
import { ACK, PSH } from '../../../src/tcp/header.js';
import { drain } from './helpers/drain.js';
import { Testbed } from './helpers/testbed.js';

/**
 * Where PSH goes on new data (Linux tcp_push / tso_fragment): on the segment
 * that empties the send queue, and on the last segment of a multi-segment
 * burst cut short by cwnd or the window; never on a lone segment that
 * leaves data queued (limited-transmit-*.pkt, prr-ss-*.pkt).
 */
describe('PSH placement', () => {
  it('sets no PSH on a limited-transmit segment that leaves data queued', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(15_000));
    const flight = drain(t);
    expect(flight.map(([s, l]) => [s, l])).toEqual(Array.from({ length: 10 }, (_, i) => [1 + 1000 * i, 1000]));
    // The initial window ends the burst with 5000 bytes still queued: PSH on its last segment only.
    expect(flight.map(([, , f]) => f)).toEqual([...Array<number>(9).fill(ACK), ACK | PSH]);
    t.advance(110_000);
    t.in('.', 1, 0, { ack: 1, win: 257 });
    // RFC 3042: one new segment per duplicate ACK, without PSH.
    expect(drain(t)).toEqual([[10_001, 1000, ACK]]);
    t.advance(10_000);
    t.in('.', 1, 0, { ack: 1, win: 257 });
    expect(drain(t)).toEqual([[11_001, 1000, ACK]]);
  });

  it('sets PSH on the segment that empties the queue', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(2500));
    expect(drain(t)).toEqual([[1, 1000, ACK], [1001, 1000, ACK], [2001, 500, ACK | PSH]]);
  });
});
