import { describe, expect, it } from 'vitest';
import { Prr } from '../../../src/tcp/prr.js';

describe('PRR (RFC 6937), counted in segments as Linux does', () => {
  it('sends one segment per two delivered while pipe > ssthresh (β = 1/2: RFC 6937 §4, one loss in 20)', () => {
    // cwnd 20, segment 1 lost; recovery starts on the third SACK with
    // pipe = 20 − 3 SACKed − 1 lost = 16; ssthresh 10, RecoverFS 20.
    const prr = new Prr();
    prr.start(10, 20, 1);
    let pipe = 16;
    const sends: number[] = [];
    for (let ackNo = 1; ackNo <= 10; ackNo++) {
      const sndcnt = prr.onAck(1, pipe, false);
      sends.push(sndcnt);
      prr.onSent(sndcnt);
      pipe += sndcnt - 1; // next ACK SACKs one more segment
      // Invariant of the proportional part: prr_out = ceil(prr_delivered · ssthresh / RecoverFS).
      expect(prr.out).toBe(Math.ceil((prr.delivered * 10) / 20));
    }
    expect(sends).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
  });

  it('keeps the ratio ssthresh/RecoverFS for β = 0.7 (CUBIC): 7 sent per 10 delivered', () => {
    const prr = new Prr();
    prr.start(7, 10, 1);
    const sends: number[] = [];
    for (let i = 0; i < 10; i++) {
      const n = prr.onAck(1, 9, false);
      sends.push(n);
      prr.onSent(n);
    }
    expect(sends).toEqual([1, 1, 1, 0, 1, 1, 0, 1, 1, 0]);
    expect(prr.out).toBe(7);
  });

  it('forces the fast retransmit on the first ACK even when pipe is already at ssthresh', () => {
    const prr = new Prr();
    prr.start(10, 20, 1);
    expect(prr.onAck(1, 10, false)).toBe(1); // min(ssthresh − pipe = 0, ...) would give 0
    prr.onSent(1);
    expect(prr.onAck(1, 10, false)).toBe(0);
  });

  it('below ssthresh, grows back like slow start on safe ACKs (SSRB) and conserves otherwise (CRB)', () => {
    const prr = new Prr();
    prr.start(10, 20, 1);
    // Heavy loss: pipe 3 far below ssthresh.
    expect(prr.onAck(1, 3, false)).toBe(1); // max(1 − 0, 1), forced anyway
    prr.onSent(1);
    // An ACK advancing SND.UNA with no new loss: one extra segment.
    expect(prr.onAck(1, 3, true)).toBe(2); // max(2 − 1, 1) + 1
    prr.onSent(2);
    // A SACK-only ACK: packet conservation.
    expect(prr.onAck(1, 4, false)).toBe(1); // max(3 − 3, 1)
    prr.onSent(1);
    // A stretch ACK: bounded by ssthresh − pipe.
    expect(prr.onAck(6, 8, true)).toBe(2); // min(10 − 8, max(9 − 4, 6) + 1)
  });

  it('leaves cwnd alone on an ACK that delivers nothing', () => {
    const prr = new Prr();
    prr.start(10, 20, 1);
    expect(prr.onAck(0, 15, false)).toBe(-1);
    expect(prr.delivered).toBe(0);
  });

  it('sets cwnd = pipe + sndcnt', () => {
    expect(Prr.cwnd(9, 1)).toBe(10);
  });
});

describe('PRR in bytes', () => {
  const MSS = 1460;

  it('rounds the proportional quota up to whole segments, as Linux counts packets', () => {
    const prr = new Prr();
    prr.start(10 * MSS, 20 * MSS, MSS);
    // RFC 6937 in bytes would allow ceil(1460 · 10/20) = 730 bytes here.
    expect(prr.onAck(MSS, 16 * MSS, false)).toBe(MSS);
    prr.onSent(MSS);
    expect(prr.onAck(MSS, 16 * MSS, false)).toBe(0);
    expect(prr.onAck(MSS, 15 * MSS, false)).toBe(MSS);
  });

  it('adds one MSS on safe ACKs below ssthresh', () => {
    const prr = new Prr();
    prr.start(10 * MSS, 20 * MSS, MSS);
    prr.onSent(MSS);
    expect(prr.onAck(2 * MSS, 4 * MSS, true)).toBe(3 * MSS); // max(2 − 1, 2) + 1 segments
  });
});
