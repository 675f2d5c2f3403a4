import { describe, expect, it } from 'vitest';
import { drain } from './helpers/drain.js';
import { Testbed } from './helpers/testbed.js';

/**
 * Limited transmit (RFC 3042) followed by an ACK that shows the "lost"
 * segment was only reordered. Linux counts data as delivered once, when it is
 * first reported (tcp_newly_delivered): the SACKed (or, without SACK,
 * duplicate-ACKed: tcp_add_reno_sack / tcp_remove_reno_sacks) segments were
 * delivered with the duplicate ACKs, which do not grow cwnd
 * (tcp_may_raise_cwnd needs FLAG_DATA_ACKED). The ACK that fills the hole
 * delivers one more segment, so slow start takes cwnd from 10 to 11 and, with
 * 9 segments in flight, 2 new segments go out (limited-transmit-*.pkt).
 */
describe('cwnd after limited transmit and reordering', () => {
  const run = (synOpts: string, synAckOpts: string, dupOpts: [string, string]): [number, number][] => {
    const t = new Testbed();
    const { c } = t.passiveOpen(synOpts, synAckOpts, 1, 100_000);
    c.write(new Uint8Array(15_000));
    expect(drain(t).map(([s, l]) => [s, l])).toEqual(Array.from({ length: 10 }, (_, i) => [1 + 1000 * i, 1000]));
    t.advance(110_000);
    t.in('.', 1, 0, { ack: 1, win: 257, opts: dupOpts[0] });
    expect(drain(t).map(([s, l]) => [s, l])).toEqual([[10001, 1000]]);
    t.advance(10_000);
    t.in('.', 1, 0, { ack: 1, win: 257, opts: dupOpts[1] });
    expect(drain(t).map(([s, l]) => [s, l])).toEqual([[11001, 1000]]);
    t.advance(10_000);
    t.in('.', 1, 0, { ack: 3001, win: 257 });
    return drain(t).map(([s, l]) => [s, l]);
  };

  it('with SACK: the ACK of 3001 grows cwnd by one segment (10 → 11)', () => {
    const sent = run('mss 1000,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', [
      'sack 1001:2001,nop,nop',
      'sack 1001:3001,nop,nop',
    ]);
    expect(sent).toEqual([
      [12001, 1000],
      [13001, 1000],
    ]);
  });

  it('without SACK: duplicate ACKs stand for delivered segments (same result)', () => {
    const sent = run('mss 1000,nop,wscale 7', 'mss 1460,nop,wscale 8', ['', '']);
    expect(sent).toEqual([
      [12001, 1000],
      [13001, 1000],
    ]);
  });
});
