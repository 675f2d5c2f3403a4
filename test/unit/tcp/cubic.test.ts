import { describe, expect, it } from 'vitest';
import { seq, seqAdd, type Seq } from '../../../src/core/seq.js';
import { CUBIC_ALPHA, Cubic, cubicK, wCubic } from '../../../src/tcp/congestion/cubic.js';
import { HyStartPlusPlus } from '../../../src/tcp/congestion/hystart.js';
import { createCongestionControl } from '../../../src/tcp/congestion/index.js';
import type { AckSample } from '../../../src/tcp/congestion/types.js';

const MSS = 1000;
const RTT = 100_000;

function sample(now: number, opts: Partial<AckSample> = {}): AckSample {
  return {
    ackedBytes: MSS,
    rttUs: RTT,
    now,
    bytesInFlight: 0,
    mss: MSS,
    cwndLimited: true,
    sndUna: seq(1),
    sndNxt: seq(1),
    ...opts,
  };
}

/** A CUBIC flow that just had a loss at cwnd = w segments and finished recovery at t = 1 s. */
function afterLossAt(w: number, options = {}): Cubic {
  const cc = new Cubic({ hystart: false, ...options });
  cc.init(MSS, 0);
  cc.setCwnd(w * MSS);
  cc.onCongestionEvent('fast-retransmit', 1_000_000, w * MSS, MSS);
  cc.onRecoveryEnd(1_000_000);
  return cc;
}

/** Drives `rounds` round trips from `start`: each acknowledges cwnd segments, one ACK per segment, spread over the RTT. */
function runRounds(cc: Cubic, start: number, rounds: number, rtt: number, each: (t: number) => void): number {
  let now = start;
  const s = sample(now, { rttUs: rtt });
  for (let r = 0; r < rounds; r++) {
    const n = Math.floor(cc.cwnd / MSS);
    for (let i = 0; i < n; i++) {
      s.now = now + Math.floor((i * rtt) / n);
      cc.onAck(s);
    }
    now += rtt;
    each((now - start) / 1e6);
  }
  return now;
}

describe('the cubic function (RFC 9438 §4.2)', () => {
  it('K = cbrt((W_max − cwnd_epoch) / C), computed independently', () => {
    expect(cubicK(100, 70)).toBeCloseTo(Math.pow(30 / 0.4, 1 / 3), 12);
    expect(cubicK(100, 70)).toBeCloseTo(4.217163326508746, 12);
    expect(cubicK(10, 7)).toBeCloseTo(Math.pow(7.5, 1 / 3), 12);
    expect(cubicK(50, 60)).toBe(0);
  });

  it('W_cubic(t) = C·(t − K)³ + W_max: starts at cwnd_epoch, plateaus at W_max at t = K', () => {
    const k = cubicK(100, 70);
    expect(wCubic(0, 100, k)).toBeCloseTo(70, 9);
    expect(wCubic(k, 100, k)).toBe(100);
    expect(wCubic(k + 2, 100, k)).toBeCloseTo(103.2, 9); // 0.4 · 2³
    expect(wCubic(k - 1, 100, k)).toBeCloseTo(99.6, 9);
    for (const t of [0.1, 0.5, 1, 2, 3.3, 5, 8.25]) {
      expect(wCubic(t, 100, k)).toBeCloseTo(0.4 * Math.pow(t - k, 3) + 100, 9);
    }
  });

  it('alpha_cubic = 3(1 − β)/(1 + β) with β = 0.7', () => {
    expect(CUBIC_ALPHA).toBeCloseTo(0.9 / 1.7, 12);
  });
});

describe('CUBIC congestion control', () => {
  it('is the default controller, with IW10 and HyStart++ slow start', () => {
    const cc = createCongestionControl();
    cc.init(1460, 0);
    expect(cc.name).toBe('cubic');
    expect(cc.cwnd).toBe(14_600);
    expect(cc.ssthresh).toBe(Infinity);
  });

  it('limits slow start growth to L = 8 segments per ACK (RFC 9406, non-paced)', () => {
    const cc = new Cubic();
    cc.init(MSS, 0);
    cc.onAck(sample(0, { ackedBytes: 3 * MSS }));
    expect(cc.cwnd).toBe(13 * MSS);
    cc.onAck(sample(0, { ackedBytes: 20 * MSS }));
    expect(cc.cwnd).toBe(21 * MSS);
  });

  it('reduces to β·cwnd and remembers W_max = cwnd at a congestion event (§4.6)', () => {
    const cc = afterLossAt(100);
    expect(cc.ssthresh).toBe(70 * MSS);
    expect(cc.cwnd).toBe(70 * MSS);
    expect(cc.wMax).toBe(100);
    expect(cc.cwndPrior).toBe(100);
    const small = afterLossAt(10);
    expect(small.ssthresh).toBe(7 * MSS);
    const tiny = afterLossAt(2);
    expect(tiny.ssthresh).toBe(2 * MSS);
  });

  it('lowers W_max further with fast convergence when losses come below the last W_max (§4.7)', () => {
    const cc = afterLossAt(100);
    cc.setCwnd(80 * MSS);
    cc.onCongestionEvent('fast-retransmit', 2_000_000, 80 * MSS, MSS);
    expect(cc.wMax).toBeCloseTo(80 * (1 + 0.7) / 2, 9);
    expect(cc.ssthresh).toBe(56 * MSS);
    const noFc = afterLossAt(100, { fastConvergence: false });
    noFc.setCwnd(80 * MSS);
    noFc.onCongestionEvent('fast-retransmit', 2_000_000, 80 * MSS, MSS);
    expect(noFc.wMax).toBe(80);
  });

  it('follows W_cubic(t) through the concave and convex regions', () => {
    const cc = afterLossAt(100);
    const k = cubicK(100, 70);
    const checked: number[] = [];
    runRounds(cc, 1_000_000, 100, RTT, (t) => {
      // Where the cubic function is above the Reno estimate it drives cwnd.
      if (wCubic(t, 100, k) >= cc.wEst + 1) {
        expect(Math.abs(cc.cwnd / MSS - wCubic(t, 100, k)), `t = ${t}`).toBeLessThanOrEqual(1.5);
        checked.push(t);
      }
    });
    expect(checked.length).toBeGreaterThan(50);
    // The plateau: cwnd sits at W_max around t = K.
    const at = afterLossAt(100);
    runRounds(at, 1_000_000, Math.round(k * 10), RTT, () => {});
    expect(at.cwnd).toBe(100 * MSS);
  });

  it('follows the Reno-friendly estimate when it is ahead of the cubic curve (§4.3), alpha 1 past cwnd_prior', () => {
    const cc = afterLossAt(100);
    const k = cubicK(100, 70);
    const rounds = 56.67; // W_est reaches cwnd_prior = 100 after 30 / alpha rounds
    let checked = 0;
    runRounds(cc, 1_000_000, 75, RTT, (t) => {
      const r = t / 0.1;
      const reno = r < rounds ? 70 + CUBIC_ALPHA * r : 100 + (r - rounds);
      if (reno > wCubic(t, 100, k) + 1) {
        expect(Math.abs(cc.cwnd / MSS - reno), `t = ${t}`).toBeLessThanOrEqual(1.5);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(5);
  });

  it('is Reno-friendly on short RTTs: cwnd grows by alpha per RTT, then 1 per RTT', () => {
    const cc = afterLossAt(100);
    runRounds(cc, 1_000_000, 50, 1_000, () => {});
    expect(Math.abs(cc.cwnd / MSS - (70 + 50 * CUBIC_ALPHA))).toBeLessThanOrEqual(1.5);
    runRounds(cc, 1_051_000, 50, 1_000, () => {});
    // 100 RTTs: 56.7 at alpha, then 43.3 at 1 per RTT.
    expect(Math.abs(cc.cwnd / MSS - (100 + (100 - 30 / CUBIC_ALPHA)))).toBeLessThanOrEqual(2);
  });

  it('does not grow when not cwnd-limited (§5.8)', () => {
    const cc = afterLossAt(100);
    const s = sample(2_000_000, { cwndLimited: false });
    for (let i = 0; i < 500; i++) {
      s.now += 1000;
      cc.onAck(s);
    }
    expect(cc.cwnd).toBe(70 * MSS);
  });

  it('does not count application-limited idle time as growth time', () => {
    const cc = afterLossAt(100);
    cc.onAck(sample(1_000_000)); // epoch starts
    expect(cc.epochStart).toBe(1_000_000);
    cc.onSendAfterIdle(5_000_000, 3_000_000);
    expect(cc.epochStart).toBe(4_000_000);
    cc.onSendAfterIdle(5_000_000, 10_000_000);
    expect(cc.epochStart).toBe(5_000_000);
  });

  it('restarts from cwnd with K = 0 after an RTO (§4.8)', () => {
    const cc = afterLossAt(100);
    cc.onRto(2_000_000, 70 * MSS, MSS);
    expect(cc.cwnd).toBe(MSS);
    expect(cc.ssthresh).toBe(49 * MSS);
    cc.setCwnd(49 * MSS);
    cc.onAck(sample(3_000_000));
    expect(cc.k).toBe(0);
    expect(cc.wMax).toBe(49);
    expect(cc.cwndEpoch).toBe(49);
  });

  it('undoes a spurious congestion event, cubic state included (§4.9)', () => {
    const cc = afterLossAt(100);
    runRounds(cc, 1_000_000, 20, RTT, () => {});
    const before = { cwnd: cc.cwnd, wMax: cc.wMax, k: cc.k, epoch: cc.epochStart };
    cc.onCongestionEvent('fast-retransmit', 3_100_000, cc.cwnd, MSS);
    cc.setCwnd(cc.ssthresh);
    expect(cc.undo()).toBe(true);
    expect(cc.cwnd).toBe(before.cwnd);
    // Linux restores max(ssthresh, 3/4 cwnd) as it was before the event.
    const c = before.cwnd;
    expect(cc.ssthresh).toBe(Math.max(70 * MSS, Math.floor(c / 2) + Math.floor(c / 4)));
    expect({ wMax: cc.wMax, k: cc.k, epoch: cc.epochStart }).toEqual({ wMax: before.wMax, k: before.k, epoch: before.epoch });
  });
});

describe('HyStart++ (RFC 9406)', () => {
  /** Feeds one round of `acks` ACKs with RTT `rtt`; the round ends when SND.UNA reaches the SND.NXT of its start. */
  function round(h: HyStartPlusPlus, start: Seq, acks: number, rtt: number): Seq {
    const end = seqAdd(start, acks * MSS);
    for (let i = 1; i <= acks; i++) h.onAck(seqAdd(start, i * MSS - MSS), end, rtt);
    return end;
  }

  it('enters CSS when a round min RTT exceeds the last by max(4 ms, min(last/8, 16 ms))', () => {
    const h = new HyStartPlusPlus();
    let s = seq(1);
    s = round(h, s, 10, 100_000);
    s = round(h, s, 10, 100_000);
    expect(h.phase).toBe('slow-start');
    s = round(h, s, 10, 112_000); // +12 ms < 12.5 ms threshold
    expect(h.phase).toBe('slow-start');
    s = round(h, s, 10, 125_000); // 125 >= 112 + 14 ms? no: threshold is 112/8 = 14 ms
    expect(h.phase).toBe('slow-start');
    s = round(h, s, 10, 140_000); // 140 < 125 + 15.625
    expect(h.phase).toBe('slow-start');
    s = round(h, s, 10, 156_000); // 156 >= 140 + 16: the threshold is capped at 16 ms (140/8 = 17.5)
    expect(h.phase).toBe('css');
    expect(h.cssBaselineMinRttUs).toBe(156_000);
  });

  it('needs N_RTT_SAMPLE samples in the round before judging', () => {
    const h = new HyStartPlusPlus();
    let s = seq(1);
    s = round(h, s, 10, 10_000);
    round(h, s, 7, 50_000);
    expect(h.phase).toBe('slow-start');
    const g = new HyStartPlusPlus();
    s = round(g, seq(1), 10, 10_000);
    round(g, s, 8, 50_000);
    expect(g.phase).toBe('css');
  });

  it('resumes slow start if the RTT falls below the CSS baseline, and ends after CSS_ROUNDS rounds', () => {
    const h = new HyStartPlusPlus();
    let s = seq(1);
    s = round(h, s, 10, 20_000);
    s = round(h, s, 10, 30_000);
    expect(h.phase).toBe('css');
    s = round(h, s, 10, 25_000); // below the 30 ms baseline: spurious exit
    expect(h.phase).toBe('slow-start');
    s = round(h, s, 10, 40_000); // 40 >= 25 + 4: CSS again
    expect(h.phase).toBe('css');
    for (let r = 0; r < 4; r++) s = round(h, s, 10, 40_000);
    expect(h.phase).toBe('css');
    expect(h.onAck(s, seqAdd(s, 10 * MSS), 40_000)).toBe('done'); // the 5th CSS round completed
  });

  it('drives CUBIC: growth divided by 4 in CSS, then ssthresh = cwnd', () => {
    const cc = new Cubic();
    cc.init(MSS, 0);
    let una = seq(1);
    const feed = (acks: number, rtt: number): void => {
      const end = seqAdd(una, acks * MSS);
      for (let i = 0; i < acks; i++) {
        cc.onAck(sample(0, { rttUs: rtt, sndUna: una, sndNxt: end }));
        una = seqAdd(una, MSS);
      }
    };
    feed(10, 20_000);
    feed(10, 20_000);
    expect(cc.hystart.phase).toBe('slow-start');
    expect(cc.cwnd).toBe(30 * MSS);
    feed(10, 40_000); // the first of these ACKs closes the round; the next 8 trigger CSS
    expect(cc.hystart.phase).toBe('css');
    const atCss = cc.cwnd;
    feed(8, 40_000);
    expect(cc.cwnd).toBe(atCss + 2 * MSS); // 8 segments acknowledged / 4
    for (let r = 0; r < 6 && cc.inSlowStart; r++) feed(10, 40_000);
    expect(cc.hystart.phase).toBe('done');
    expect(cc.ssthresh).toBe(cc.cwnd);
    expect(cc.inSlowStart).toBe(false);
  });

  it('is not used after the first congestion event', () => {
    const cc = afterLossAt(20);
    expect(cc.hystart.phase).toBe('done');
  });
});
