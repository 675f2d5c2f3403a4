import { describe, expect, it } from 'vitest';
import { seq, type Seq } from '../../../src/core/seq.js';
import { createCongestionControl, initialWindow } from '../../../src/tcp/congestion/index.js';
import { NewReno, NewRenoRecovery } from '../../../src/tcp/congestion/newreno.js';
import type { AckSample } from '../../../src/tcp/congestion/types.js';

const MSS = 1460;

function ack(ackedBytes: number, opts: Partial<AckSample> = {}): AckSample {
  return {
    ackedBytes,
    rttUs: 100_000,
    now: 0,
    bytesInFlight: 0,
    mss: MSS,
    cwndLimited: true,
    sndUna: seq(1) as Seq,
    sndNxt: seq(1) as Seq,
    ...opts,
  };
}

function inCongestionAvoidance(cwndSegs: number): NewReno {
  // Loss with a flight of 2·cwnd, then the end of recovery: cwnd = ssthresh = cwndSegs.
  const cc = new NewReno();
  cc.init(MSS, 0);
  cc.onCongestionEvent('fast-retransmit', 0, 2 * cwndSegs * MSS, MSS);
  cc.onRecoveryEnd(0);
  return cc;
}

describe('initial window (RFC 6928)', () => {
  it('is min(10·MSS, max(2·MSS, 14600))', () => {
    expect(initialWindow(1460)).toBe(14_600);
    expect(initialWindow(536)).toBe(5_360);
    expect(initialWindow(1000)).toBe(10_000);
    expect(initialWindow(9000)).toBe(18_000);
    expect(initialWindow(16_000)).toBe(32_000);
  });

  it('is 10 segments whatever the MSS without the cap (Linux)', () => {
    expect(initialWindow(9000, { rfc6928Cap: false })).toBe(90_000);
    expect(initialWindow(1460, { initialWindowSegments: 4, rfc6928Cap: false })).toBe(5_840);
  });
});

describe('NewReno (RFC 5681)', () => {
  it('starts in slow start with cwnd = IW and an infinite ssthresh', () => {
    const cc = createCongestionControl('newreno');
    cc.init(MSS, 0);
    expect(cc.name).toBe('newreno');
    expect(cc.cwnd).toBe(14_600);
    expect(cc.ssthresh).toBe(Infinity);
    expect(cc.inSlowStart).toBe(true);
  });

  it('grows by the bytes acknowledged in slow start, at most 2·SMSS per ACK (RFC 3465 L = 2)', () => {
    const cc = new NewReno();
    cc.init(MSS, 0);
    cc.onAck(ack(MSS));
    expect(cc.cwnd).toBe(11 * MSS);
    cc.onAck(ack(4 * MSS)); // a stretch ACK: only 2·SMSS count
    expect(cc.cwnd).toBe(13 * MSS);
    cc.onAck(ack(500)); // a partial segment counts its bytes
    expect(cc.cwnd).toBe(13 * MSS + 500);
  });

  it('counts every acknowledged segment with an unlimited L, as Linux does', () => {
    const cc = new NewReno({ slowStartLimitSegments: Infinity });
    cc.init(MSS, 0);
    cc.onAck(ack(4 * MSS));
    expect(cc.cwnd).toBe(14 * MSS);
  });

  it('does not grow when the sender is not cwnd-limited', () => {
    const cc = new NewReno();
    cc.init(MSS, 0);
    cc.onAck(ack(2 * MSS, { cwndLimited: false }));
    expect(cc.cwnd).toBe(10 * MSS);
    const ca = inCongestionAvoidance(10);
    for (let i = 0; i < 30; i++) ca.onAck(ack(MSS, { cwndLimited: false }));
    expect(ca.cwnd).toBe(10 * MSS);
  });

  it('adds one SMSS per cwnd of acknowledged bytes in congestion avoidance', () => {
    const cc = inCongestionAvoidance(10);
    expect(cc.cwnd).toBe(10 * MSS);
    expect(cc.inSlowStart).toBe(false);
    for (let i = 0; i < 9; i++) cc.onAck(ack(MSS));
    expect(cc.cwnd).toBe(10 * MSS);
    cc.onAck(ack(MSS));
    expect(cc.cwnd).toBe(11 * MSS);
    for (let i = 0; i < 11; i++) cc.onAck(ack(MSS));
    expect(cc.cwnd).toBe(12 * MSS);
  });

  it('leaves slow start at ssthresh and carries the rest into congestion avoidance', () => {
    const cc = inCongestionAvoidance(10); // ssthresh = 10 MSS
    cc.setCwnd(9 * MSS); // below ssthresh: slow start
    expect(cc.inSlowStart).toBe(true);
    cc.onAck(ack(2 * MSS)); // 1 MSS to reach ssthresh, 1 MSS carried over
    expect(cc.cwnd).toBe(10 * MSS);
    for (let i = 0; i < 8; i++) cc.onAck(ack(MSS));
    expect(cc.cwnd).toBe(10 * MSS);
    cc.onAck(ack(MSS)); // 1 + 9 = 10 MSS acknowledged in avoidance
    expect(cc.cwnd).toBe(11 * MSS);
  });

  it('sets ssthresh = max(FlightSize/2, 2·SMSS) on loss (eq. 4) and cwnd = ssthresh when recovery ends', () => {
    const cc = new NewReno();
    cc.init(MSS, 0);
    cc.onCongestionEvent('fast-retransmit', 0, 20 * MSS, MSS);
    expect(cc.ssthresh).toBe(10 * MSS);
    expect(cc.cwnd).toBe(10 * MSS); // unchanged until PRR or the end of recovery
    cc.setCwnd(6 * MSS);
    cc.onRecoveryEnd(0);
    expect(cc.cwnd).toBe(10 * MSS);
    cc.onCongestionEvent('ecn', 0, MSS, MSS);
    expect(cc.ssthresh).toBe(2 * MSS);
  });

  it('drops to one segment on RTO, keeping ssthresh on a repeated timeout', () => {
    const cc = inCongestionAvoidance(20);
    cc.onRto(0, 16 * MSS, MSS);
    expect(cc.cwnd).toBe(MSS);
    expect(cc.ssthresh).toBe(8 * MSS);
    cc.onRto(0, MSS, MSS, true);
    expect(cc.ssthresh).toBe(8 * MSS);
    expect(cc.cwnd).toBe(MSS);
  });

  it('undoes a spurious fast retransmit: cwnd = max(cwnd, prior), ssthresh = prior (Linux)', () => {
    const cc = inCongestionAvoidance(16); // cwnd = ssthresh = 16 MSS
    cc.onCongestionEvent('fast-retransmit', 0, 10 * MSS, MSS);
    expect(cc.ssthresh).toBe(5 * MSS);
    cc.setCwnd(7 * MSS);
    expect(cc.undo()).toBe(true);
    expect(cc.cwnd).toBe(16 * MSS);
    // prior ssthresh = max(16, 3/4 · 16) MSS
    expect(cc.ssthresh).toBe(16 * MSS);
    expect(cc.undo()).toBe(false);
  });

  it('restores an infinite ssthresh when the first reduction is undone', () => {
    const cc = new NewReno();
    cc.init(MSS, 0);
    cc.onCongestionEvent('fast-retransmit', 0, 10 * MSS, MSS);
    expect(cc.undo()).toBe(true);
    expect(cc.ssthresh).toBe(Infinity);
    expect(cc.cwnd).toBe(10 * MSS);
  });

  it('cannot undo an ECN or TLP reduction, but can undo an RTO', () => {
    const cc = inCongestionAvoidance(16);
    cc.onCongestionEvent('ecn', 0, 16 * MSS, MSS);
    expect(cc.undo()).toBe(false);
    cc.onCongestionEvent('loss-probe', 0, 16 * MSS, MSS);
    expect(cc.undo()).toBe(false);
    const r = inCongestionAvoidance(16);
    r.onRto(0, 16 * MSS, MSS);
    expect(r.undo()).toBe(true);
    expect(r.cwnd).toBe(16 * MSS);
  });

  it('restarts after idle by halving per RTO down to min(IW, cwnd) (RFC 5681 §4.1, Linux)', () => {
    const cc = inCongestionAvoidance(40);
    cc.onIdleRestart(0, 1_500_000, 1_000_000, MSS); // 1.5 RTO idle: one halving
    expect(cc.cwnd).toBe(20 * MSS);
    expect(cc.ssthresh).toBe(40 * MSS); // max(ssthresh, 3/4 · cwnd)
    const long = inCongestionAvoidance(40);
    long.onIdleRestart(0, 10_000_000, 1_000_000, MSS);
    expect(long.cwnd).toBe(10 * MSS);
    const small = inCongestionAvoidance(4);
    small.onIdleRestart(0, 10_000_000, 1_000_000, MSS);
    expect(small.cwnd).toBe(4 * MSS); // RW = min(IW, cwnd)
  });

  it('never lets setCwnd go below one segment', () => {
    const cc = new NewReno();
    cc.init(MSS, 0);
    cc.setCwnd(0);
    expect(cc.cwnd).toBe(MSS);
  });
});

describe('NewRenoRecovery (RFC 6582)', () => {
  it('classifies partial and full ACKs against the recovery point', () => {
    const r = new NewRenoRecovery(seq(1000));
    expect(r.mayEnter(seq(1001))).toBe(true); // recover starts at the ISS
    r.enter(seq(5000));
    expect(r.inRecovery).toBe(true);
    expect(r.onAck(seq(3000))).toBe('partial');
    expect(r.firstPartial).toBe(true);
    expect(r.onAck(seq(4000))).toBe('partial');
    expect(r.firstPartial).toBe(false);
    expect(r.onAck(seq(5000))).toBe('full');
    expect(r.inRecovery).toBe(false);
    expect(r.onAck(seq(6000))).toBe('not-in-recovery');
  });

  it('refuses a new fast retransmit for duplicates below the previous recovery point (step 2)', () => {
    const r = new NewRenoRecovery(seq(1000));
    r.enter(seq(5000));
    r.abort(seq(5000)); // e.g. an RTO
    expect(r.mayEnter(seq(4999))).toBe(false);
    expect(r.mayEnter(seq(5000))).toBe(true);
  });

  it('works across sequence wrap-around', () => {
    const r = new NewRenoRecovery(seq(0xffff_ff00));
    r.enter(seq(0x100));
    expect(r.onAck(seq(0xffff_fff0))).toBe('partial');
    expect(r.onAck(seq(0x100))).toBe('full');
  });

  it('gives the classic RFC 5681 / 6582 window inflation and deflation', () => {
    expect(NewRenoRecovery.inflatedCwnd(10 * MSS, MSS)).toBe(13 * MSS);
    expect(NewRenoRecovery.deflateOnPartialAck(13 * MSS, 2 * MSS, MSS)).toBe(12 * MSS);
    expect(NewRenoRecovery.deflateOnPartialAck(13 * MSS, 500, MSS)).toBe(13 * MSS - 500);
    expect(NewRenoRecovery.cwndOnFullAck(10 * MSS, 4 * MSS, MSS)).toBe(5 * MSS);
    expect(NewRenoRecovery.cwndOnFullAck(10 * MSS, 20 * MSS, MSS)).toBe(10 * MSS);
  });
});
