import { describe, expect, it } from 'vitest';
import { Rack } from '../../../src/tcp/rack.js';
import { seq } from '../../../src/core/seq.js';
import { drain } from './helpers/drain.js';
import { Testbed } from './helpers/testbed.js';

/**
 * RFC 8985 §6.2 step 3/4: an ACK whose cumulative part fills the hole below
 * SACK blocks it carries itself is not reordering, so with >= DupThresh
 * segments SACKed the reordering window is 0 and the holes are retransmitted
 * at once (Linux tcp_rack_reo_wnd(), prior_fack in tcp_ack()).
 */
describe('RACK reordering window after a SACK-bearing cumulative ACK', () => {
  it('judges reordering against RACK.fack as it stood before the ACK', () => {
    const r = new Rack();
    r.startAck();
    // SACK blocks first, then the cumulative part below them: not reordering.
    r.onDelivered(0, seq(3000), false, 10_000, 10_000, false);
    r.onDelivered(0, seq(1000), false, 10_000, 10_000, false);
    expect(r.reorderingSeen).toBe(false);
    // Next ACK: a never-retransmitted segment below the forward-most one is.
    r.startAck();
    r.onDelivered(0, seq(2000), false, 11_000, 10_000, false);
    expect(r.reorderingSeen).toBe(true);
  });

  it('retransmits the holes at once when the ACK also cumulatively acknowledges data (sack-route-refresh)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', 1, 10_000);
    c.write(new Uint8Array(5000));
    expect(drain(t).map(([s, l]) => [s, l])).toEqual([[1, 1000], [1001, 1000], [2001, 1000], [3001, 1000], [4001, 1000]]);
    t.advance(10_000);
    t.in('.', 1, 0, { ack: 5001, win: 257 });
    t.advance(10_000);
    c.write(new Uint8Array(10_000));
    expect(drain(t).map(([s, l]) => [s, l])).toEqual(Array.from({ length: 10 }, (_, i) => [5001 + 1000 * i, 1000]));
    t.advance(10_000);
    // ACK 6001 with SACKs 8001:9001 and 11001:15001: holes 6001:8001 and 9001:11001.
    t.in('.', 1, 0, { ack: 6001, win: 257, opts: 'sack 8001:9001 11001:15001,nop,nop' });
    // No reordering was seen and 5 segments are SACKed: reo_wnd = 0, so both
    // holes are lost now (not after a min_RTT/4 reordering timer).
    expect(drain(t)[0]?.slice(0, 2)).toEqual([6001, 1000]);
  });
});
