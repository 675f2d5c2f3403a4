import { describe, expect, it } from 'vitest';
import { drain } from './helpers/drain.js';
import { Testbed } from './helpers/testbed.js';

/**
 * Within an ACK, Linux runs loss detection (tcp_fastretrans_alert →
 * tcp_identify_packet_loss, RACK) before PRR (tcp_cong_control →
 * tcp_cwnd_reduction). PRR therefore sizes cwnd on the pipe after this ACK's
 * losses: a retransmission found lost again leaves the pipe before sndcnt is
 * added, instead of being counted in flight and then freeing one more slot.
 * And DeliveredData counts SACKed data once (tcp_newly_delivered), so a
 * cumulative ACK over SACKed segments delivers only the holes.
 * Scenario: prr-ss-30pkt-lost-1_4-11_16.pkt (segments 1–4 and 11–16 lost).
 */
describe('PRR after RACK loss detection', () => {
  it('sends exactly sndcnt segments when a retransmission is lost again', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', 1, 10_000);
    c.write(new Uint8Array(20_000));
    expect(drain(t)).toHaveLength(10);
    const ack = (at: number, cum: number, sack: string): [number, number][] => {
      t.advance(at);
      t.in('.', 1, 0, { ack: cum, win: 320, opts: `sack ${sack},nop,nop` });
      return drain(t).map(([s, l]) => [s, l]);
    };
    expect(ack(10_000, 1, '4001:5001')).toEqual([[10001, 1000]]);
    expect(ack(2000, 1, '4001:6001')).toEqual([[11001, 1000]]);
    // DupThresh SACKed: RACK marks 1–4 lost; PRR sends one per ACK.
    expect(ack(2000, 1, '4001:7001')).toEqual([[1, 1000]]);
    expect(ack(2000, 1, '4001:8001')).toEqual([[1001, 1000]]);
    expect(ack(2000, 1, '4001:9001')).toEqual([[2001, 1000]]);
    expect(ack(2000, 1, '4001:10001')).toEqual([[3001, 1000]]);
    expect(ack(2000, 1, '4001:11001')).toEqual([[12001, 1000]]);
    expect(ack(2000, 1, '4001:12001')).toEqual([[13001, 1000]]);
    // SND.UNA advances, no new loss: PRR-SSRB allows one extra segment.
    expect(ack(10_000, 1001, '4001:12001')).toEqual([
      [14001, 1000],
      [15001, 1000],
    ]);
    // 2001:4001 SACKed (2 delivered); RACK finds the retransmission of
    // 1001:2001 lost again. pipe 4, prr_delivered − prr_out = 1, sndcnt = 2.
    expect(ack(2000, 1001, '2001:12001')).toEqual([
      [1001, 1000],
      [16001, 1000],
    ]);
    // pipe reaches ssthresh (7): one segment per delivered segment.
    expect(ack(2000, 1001, '2001:13001')).toEqual([[17001, 1000]]);
    expect(ack(2000, 1001, '2001:14001')).toEqual([[18001, 1000]]);
  });
});

/**
 * An ACK that advances SND.UNA and whose SACKs reveal a loss starts recovery
 * without growing cwnd first: Linux decides the state (tcp_fastretrans_alert)
 * before tcp_cong_control, which then runs PRR instead of slow start, so
 * prior_cwnd and ssthresh come from the cwnd before this ACK.
 */
describe('an ACK that starts recovery does not grow cwnd', () => {
  it('reduces from the cwnd before the ACK (ssthresh 7 of 10, PRR sends 3)', () => {
    const t = new Testbed();
    const { c } = t.passiveOpen('mss 1000,sackOK,nop,nop,nop,wscale 7', 'mss 1460,nop,nop,sackOK,nop,wscale 8', 1, 10_000);
    c.write(new Uint8Array(20_000));
    expect(drain(t)).toHaveLength(10);
    t.advance(10_000);
    // 1:1001 acknowledged, 3001:6001 SACKed: DupThresh segments above the
    // holes, so RACK (reo_wnd 0) marks 1001:3001 lost.
    t.in('.', 1, 0, { ack: 1001, win: 320, opts: 'sack 3001:6001,nop,nop' });
    // pipe = 9 − 3 SACKed − 2 lost = 4; ssthresh = 7 (CUBIC β 0.7 of 10, not
    // of a cwnd grown by this ACK); delivered 4, a new loss so no SSRB bonus:
    // sndcnt = min(7 − 4, 4) = 3, cwnd = 7.
    expect(drain(t).map(([s, l]) => [s, l])).toEqual([
      [1001, 1000],
      [2001, 1000],
      [10001, 1000],
    ]);
    expect(c.info().ssthresh).toBe(7);
    expect(c.info().cwnd).toBe(7);
  });
});
