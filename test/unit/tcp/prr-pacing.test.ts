import { describe, expect, it } from 'vitest';
import { drain } from './helpers/drain.js';
import { Testbed } from './helpers/testbed.js';

/**
 * PRR (RFC 6937 §3) on entering recovery: cwnd becomes pipe + sndcnt for the
 * triggering ACK before anything is retransmitted, so the entering ACK sends
 * the fast retransmission only and the next SACK the next one (Linux
 * tcp_cwnd_reduction; sack-shift-sacked-2-6-8-3-9-nofack.pkt).
 */
describe('PRR pacing on entering recovery', () => {
  it('retransmits one segment per ACK, not the whole lost set at once', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', 1, 100_000);
    c.write(new Uint8Array(10_000));
    expect(drain(t)).toHaveLength(10);
    t.advance(100_000);
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 2001:3001,nop,nop' });
    t.advance(1000);
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 2001:3001 6001:7001,nop,nop' });
    t.advance(1000);
    expect(drain(t)).toEqual([]);
    // Third SACKed segment: RACK (reo_wnd 0) marks 6 segments lost; PRR allows one.
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 2001:3001 6001:7001 8001:9001,nop,nop' });
    expect(drain(t).map(([s, l]) => [s, l])).toEqual([[1, 1000]]);
    t.advance(7000);
    t.in('.', 1, 0, { ack: 1, win: 257, opts: 'sack 2001:4001 6001:7001 8001:9001,nop,nop' });
    expect(drain(t).map(([s, l]) => [s, l])).toEqual([[1001, 1000]]);
  });
});
