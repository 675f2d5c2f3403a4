import { describe, expect, it } from 'vitest';
import { seq, type Seq } from '../../../src/core/seq.js';
import {
  RACK_LOST,
  Rack,
  type RackSegmentSource,
  type RackVerdict,
  type RackVisitor,
  Tlp,
  sentAfter,
} from '../../../src/tcp/rack.js';

interface Seg {
  xmitTs: number;
  endSeq: Seq;
  sacked: boolean;
  lost: boolean;
}

/** A retransmission queue: segments of 100 bytes sent 1 ms apart from t = 0, ends 100, 200, ... */
class Queue implements RackSegmentSource {
  readonly segs: Seg[] = [];
  visited = 0;

  constructor(n: number) {
    for (let i = 1; i <= n; i++) this.segs.push({ xmitTs: (i - 1) * 1000, endSeq: seq(100 * i), sacked: false, lost: false });
  }

  forEachInSendOrder(visit: RackVisitor): void {
    const order = [...this.segs].sort((a, b) => a.xmitTs - b.xmitTs);
    for (const s of order) {
      if (s.sacked || s.lost) continue;
      this.visited++;
      const v: RackVerdict = visit(s.xmitTs, s.endSeq);
      if (v === RACK_LOST) s.lost = true;
      else if (v !== 0) return;
    }
  }

  lostEnds(): number[] {
    return this.segs.filter((s) => s.lost).map((s) => s.endSeq);
  }
}

const MIN_RTT = 10_000;
const SRTT = 10_000;

describe('RACK (RFC 8985 §6)', () => {
  it('remembers the most recently sent delivered segment and its RTT (step 2)', () => {
    const rack = new Rack();
    rack.onDelivered(4000, seq(500), false, 14_000, MIN_RTT, false);
    rack.onDelivered(1000, seq(200), false, 14_000, MIN_RTT, false);
    expect(rack.xmitTs).toBe(4000);
    expect(rack.endSeq).toBe(500);
    expect(rack.rttUs).toBe(13_000); // RACK.rtt is the last segment processed
    expect(rack.advanced).toBe(true);
  });

  it('marks segments sent more than RACK.rtt + reo_wnd before the delivered one as lost, and arms the timer for the rest', () => {
    const q = new Queue(5);
    const rack = new Rack();
    q.segs[4]!.sacked = true; // segment 5 (sent at 4 ms) SACKed at 14 ms: RTT 10 ms
    rack.onDelivered(4000, seq(500), false, 14_000, MIN_RTT, false);
    const reo = rack.reoWnd(SRTT, MIN_RTT, false, 1, 3);
    expect(reo).toBe(2_500); // min_RTT / 4
    const timer = rack.detectLoss(14_000, reo, q);
    // Segment 1: 0 + 10 + 2.5 − 14 < 0 → lost; 2: 1 + 12.5 − 14 < 0 → lost;
    // 3: 2 + 12.5 − 14 = 0.5 ms left; 4: 1.5 ms left. Timer = 1.5 ms + 2 ms slack.
    expect(q.lostEnds()).toEqual([100, 200]);
    expect(timer).toBe(1_500 + 2_000);
    expect(rack.advanced).toBe(false);
    // When the timer fires, the remaining ones are lost.
    expect(rack.detectLoss(17_500, reo, q)).toBe(0);
    expect(q.lostEnds()).toEqual([100, 200, 300, 400]);
  });

  it('uses a zero window in recovery or with DupThresh SACKed segments when no reordering was seen', () => {
    const rack = new Rack();
    expect(rack.reoWnd(SRTT, MIN_RTT, true, 0, 3)).toBe(0);
    expect(rack.reoWnd(SRTT, MIN_RTT, false, 3, 3)).toBe(0);
    expect(rack.reoWnd(SRTT, MIN_RTT, false, 2, 3)).toBe(2_500);
    const q = new Queue(5);
    q.segs[4]!.sacked = true;
    rack.onDelivered(4000, seq(500), false, 14_000, MIN_RTT, false);
    expect(rack.detectLoss(14_000, rack.reoWnd(SRTT, MIN_RTT, false, 3, 3), q)).toBe(0);
    expect(q.lostEnds()).toEqual([100, 200, 300, 400]);
  });

  it('detects reordering from a never-retransmitted segment delivered below RACK.fack (step 3)', () => {
    const rack = new Rack();
    rack.onDelivered(4000, seq(500), false, 14_000, MIN_RTT, false);
    rack.onDelivered(3000, seq(400), true, 14_000, MIN_RTT, false); // retransmitted: not evidence
    expect(rack.reorderingSeen).toBe(false);
    rack.onDelivered(2000, seq(300), false, 14_500, MIN_RTT, false);
    expect(rack.reorderingSeen).toBe(true);
    expect(rack.fack).toBe(500);
    // Once reordering was seen, the window stays open even in recovery.
    expect(rack.reoWnd(SRTT, MIN_RTT, true, 10, 3)).toBe(2_500);
  });

  it('ignores ambiguous deliveries of retransmitted segments', () => {
    const rack = new Rack();
    rack.onDelivered(10_000, seq(100), true, 15_000, MIN_RTT, false); // 5 ms < min RTT: the original was delivered
    expect(rack.advanced).toBe(false);
    expect(rack.xmitTs).toBe(-1);
    rack.onDelivered(10_000, seq(100), true, 25_000, MIN_RTT, true); // TS echo predates the retransmission
    expect(rack.xmitTs).toBe(-1);
    rack.onDelivered(10_000, seq(100), true, 25_000, MIN_RTT, false);
    expect(rack.xmitTs).toBe(10_000);
  });

  it('stops at the first segment sent after RACK.xmit_ts', () => {
    const q = new Queue(10);
    const rack = new Rack();
    rack.onDelivered(2000, seq(300), false, 12_000, MIN_RTT, false);
    q.segs[2]!.sacked = true;
    rack.detectLoss(12_000, 0, q);
    expect(q.lostEnds()).toEqual([100, 200]);
    expect(q.visited).toBe(3); // segments 1, 2, then 4 stops the walk
  });

  it('breaks transmit-time ties by sequence number', () => {
    expect(sentAfter(5, seq(200), 5, seq(100))).toBe(true);
    expect(sentAfter(5, seq(100), 5, seq(200))).toBe(false);
    expect(sentAfter(6, seq(100), 5, seq(200))).toBe(true);
  });

  it('grows the window with D-SACK rounds and resets it after 16 recoveries (step 4)', () => {
    const rack = new Rack();
    rack.onAckDsack(true, seq(0), seq(1000));
    expect(rack.reoWndMult).toBe(1); // no reordering seen yet (Linux)
    rack.reorderingSeen = true;
    rack.onAckDsack(true, seq(0), seq(1000));
    expect(rack.reoWndMult).toBe(2);
    rack.onAckDsack(true, seq(500), seq(1500)); // same round: no growth
    expect(rack.reoWndMult).toBe(2);
    rack.onAckDsack(true, seq(1000), seq(2000)); // round over
    expect(rack.reoWndMult).toBe(3);
    expect(rack.reoWnd(SRTT, MIN_RTT, false, 0, 3)).toBe(7_500);
    expect(rack.reoWnd(5_000, MIN_RTT, false, 0, 3)).toBe(5_000); // capped at SRTT
    for (let i = 0; i < 15; i++) rack.onRecoveryExit();
    expect(rack.reoWndMult).toBe(3);
    rack.onRecoveryExit();
    expect(rack.reoWndMult).toBe(1);
  });
});

describe('TLP (RFC 8985 §7)', () => {
  it('computes the PTO as 2·SRTT plus the delayed-ACK allowance for a single segment', () => {
    const tlp = new Tlp();
    expect(tlp.pto(10_000, true, 2, 0)).toBe(22_000); // + Linux 2 ms slack
    expect(tlp.pto(10_000, true, 1, 0)).toBe(220_000); // + WCDelAckT 200 ms
    expect(tlp.pto(0, false, 3, 0)).toBe(1_000_000);
    expect(tlp.pto(10_000, true, 2, 15_000)).toBe(15_000); // never after the RTO
    expect(tlp.pto(10_000, true, 2, 50_000)).toBe(22_000);
  });

  it('schedules only with SACK, outside recovery and without a probe outstanding', () => {
    const tlp = new Tlp();
    expect(tlp.canSchedule(true, true, false)).toBe(true);
    expect(tlp.canSchedule(false, true, false)).toBe(false);
    expect(tlp.canSchedule(true, false, false)).toBe(false);
    expect(tlp.canSchedule(true, true, true)).toBe(false);
    tlp.onProbeSent(seq(5000), true);
    expect(tlp.canSchedule(true, true, false)).toBe(false);
  });

  it('sends a probe only after an RTT sample since the last one (§7.3)', () => {
    const tlp = new Tlp();
    expect(tlp.canSend()).toBe(true);
    tlp.onProbeSent(seq(5000), false);
    expect(tlp.onAck(seq(5000), null, false)).toBe('new-data-acked');
    expect(tlp.canSend()).toBe(false);
    tlp.onRttSample();
    expect(tlp.canSend()).toBe(true);
    expect(Tlp.chooseProbe(true)).toBe('new-data');
    expect(Tlp.chooseProbe(false)).toBe('retransmit-last');
  });

  it('detects a loss repaired by a retransmitted probe: an ACK beyond TLP.end_seq (§7.4.2)', () => {
    const tlp = new Tlp();
    tlp.onProbeSent(seq(5000), true);
    expect(tlp.onAck(seq(4000), null, false)).toBe('pending');
    expect(tlp.onAck(seq(5000), null, false)).toBe('pending'); // equality is ambiguous
    expect(tlp.onAck(seq(5100), null, false)).toBe('loss-repaired');
    expect(tlp.endSeq).toBe(null);
  });

  it('ends the episode without loss on a D-SACK of the probe or a pure duplicate ACK', () => {
    const tlp = new Tlp();
    tlp.onProbeSent(seq(5000), true);
    expect(tlp.onAck(seq(5000), seq(4900), false)).toBe('pending');
    expect(tlp.onAck(seq(5000), seq(5000), false)).toBe('no-loss');
    tlp.onProbeSent(seq(6000), true);
    expect(tlp.onAck(seq(6000), null, true)).toBe('no-loss');
    tlp.onProbeSent(seq(7000), true);
    tlp.reset();
    expect(tlp.onAck(seq(8000), null, false)).toBe('pending');
  });
});
